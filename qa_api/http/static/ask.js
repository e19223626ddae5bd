// The question page: sends the question to POST /v1/ask and shows the answer with the passages behind it.
import { ApiError, callApi, displayText, documentUrl, markedText } from "./api.js";

const TOP_K = 5;
const form = document.getElementById("ask-form");
const input = document.getElementById("question");
const status = document.getElementById("status");
const results = document.getElementById("results");
let pending = null;

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question) {
    showError("Please type a question first.");
    input.focus();
    return;
  }
  history.pushState(null, "", "?q=" + encodeURIComponent(question));
  ask(question);
});

window.addEventListener("popstate", askFromUrl);
askFromUrl();

function askFromUrl() {
  const question = new URLSearchParams(location.search).get("q")?.trim();
  input.value = question ?? "";
  if (question) ask(question);
  else clear();
}

async function ask(question) {
  pending?.abort();
  const controller = new AbortController();
  pending = controller;
  setStatus("Looking for an answer…", "busy");
  form.setAttribute("aria-busy", "true");
  try {
    const reply = await callApi("/v1/ask", { method: "POST", body: { question, top_k: TOP_K }, signal: controller.signal });
    showResults(reply);
  } catch (error) {
    if (error.name === "AbortError") return;
    showError(error instanceof ApiError ? error.message : "Something went wrong in this page. Please reload it.");
  } finally {
    if (pending === controller) {
      pending = null;
      form.removeAttribute("aria-busy");
    }
  }
}

function showResults(reply) {
  const answerPassage = reply.answer && reply.passages.find((p) => p.id === reply.answer.passage_id);
  showAnswer(reply.answer, answerPassage, reply.evidence);
  showPassages(reply.passages, reply.answer);
  results.hidden = false;
  const evidence = plural(reply.passages.length, "passage");
  if (reply.answer) {
    setStatus(`Answer: ${displayText(reply.answer.text)}. Confidence ${percent(reply.answer.confidence)}. ${evidence} of evidence below.`, "done");
  } else if (reply.passages.length) {
    setStatus(`No short answer. The closest sentence and ${evidence} are below.`, "done");
  } else {
    setStatus("The corpus does not say: no passage shares a word with the question.");
  }
}

function showAnswer(answer, passage, evidence) {
  const card = document.getElementById("answer");
  card.classList.toggle("no-answer", !answer);
  document.getElementById("answer-text").textContent = answer ? displayText(answer.text) : "No short answer";
  const explain = document.getElementById("answer-explain");
  explain.hidden = Boolean(answer);
  explain.textContent = evidence
    ? "No short answer is likely enough to be right. This is the sentence that comes closest:"
    : "No passage shares a word with the question.";
  document.getElementById("answer-meta").hidden = !answer;
  document.getElementById("answer-sentence").hidden = !answer && !evidence;
  document.getElementById("answer-link").parentElement.hidden = !answer && !evidence;
  if (!answer) {
    if (evidence) showEvidence(evidence);
    return;
  }
  const meter = document.getElementById("answer-confidence");
  meter.value = answer.confidence;
  document.getElementById("answer-confidence-text").textContent = percent(answer.confidence);
  document.getElementById("answer-type").textContent = answer.type;
  const sentence = document.getElementById("answer-sentence");
  const at = codePointIndex(answer.sentence, answer.text);
  sentence.replaceChildren(markedText(answer.sentence, at < 0 ? [] : [{ start: at, end: at + [...answer.text].length, kind: "answer" }]));
  const link = document.getElementById("answer-link");
  link.href = documentUrl(answer.source, { passageId: answer.passage_id, answer });
  const where = passage ? ` · paragraph ${passage.paragraph}` : "";
  link.textContent = `Read it in ${answer.source}${where}`;
}

function showEvidence(evidence) {
  document.getElementById("answer-sentence").replaceChildren(markedText(evidence.text, []));
  const link = document.getElementById("answer-link");
  link.href = documentUrl(evidence.source, { passageId: evidence.passage_id });
  link.textContent = `Read it in ${evidence.source}`;
}

function showPassages(passages, answer) {
  const list = document.getElementById("passages");
  const template = document.getElementById("passage-template");
  document.getElementById("evidence").hidden = passages.length === 0;
  document.getElementById("evidence-heading").textContent = `Evidence · ${plural(passages.length, "passage")}`;
  list.replaceChildren(...passages.map((passage) => {
    const item = template.content.firstElementChild.cloneNode(true);
    const holdsAnswer = answer && answer.passage_id === passage.id;
    item.classList.toggle("holds-answer", Boolean(holdsAnswer));
    item.querySelector(".rank").textContent = `#${passage.rank}`;
    const link = item.querySelector(".passage-source");
    link.href = documentUrl(passage.source, { passageId: passage.id, answer: holdsAnswer ? answer : null });
    link.textContent = passage.source;
    item.querySelector(".passage-where").textContent =
      [`paragraph ${passage.paragraph}`, passage.page && `page ${passage.page}`, passage.section].filter(Boolean).join(" · ");
    item.querySelector(".passage-score").textContent = `score ${passage.score.toFixed(2)}`;
    item.querySelector(".passage-text").replaceChildren(markedText(passage.text, passageRanges(passage, answer)));
    return item;
  }));
}

function passageRanges(passage, answer) {
  const ranges = passage.highlights.map((h) => ({ start: h.start, end: h.end, kind: "term" }));
  if (answer && answer.source === passage.source && passage.start <= answer.start && answer.end <= passage.end) {
    ranges.push({ start: answer.start - passage.start, end: answer.end - passage.start, kind: "answer" });
  }
  return ranges;
}

function codePointIndex(haystack, needle) {
  const unit = haystack.indexOf(needle);
  return unit < 0 ? -1 : [...haystack.slice(0, unit)].length;
}

function showError(message) {
  results.hidden = true;
  setStatus(message, "error");
}

function clear() {
  pending?.abort();
  results.hidden = true;
  setStatus("");
}

function setStatus(message, kind = "") {
  status.textContent = message;
  status.className = "status" + (kind ? ` status-${kind}` : "");
}

function percent(value) {
  return `${Math.round(value * 100)}%`;
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
