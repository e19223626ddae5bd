// One document: GET /v1/documents/{source}, shown paragraph by paragraph; the linked passage is scrolled to and
// highlighted, with the answer span when the link carries one (?answer=start-end, offsets in the file).
import { ApiError, apiDocumentPath, callApi, markedText } from "./api.js";

const article = document.getElementById("document");
const status = document.getElementById("status");
const body = document.getElementById("document-body");

try {
  const doc = await callApi(apiDocumentPath(article.dataset.source));
  render(doc);
  status.textContent = "";
  status.hidden = true;
  showTarget();
  window.addEventListener("hashchange", showTarget);
} catch (error) {
  status.textContent = error instanceof ApiError ? error.message : "Something went wrong in this page. Please reload it.";
  status.className = "status status-error";
}

function render(doc) {
  // The server leaves the title to this script when it has an API key (the page itself tells nothing).
  article.querySelector("h1").textContent = doc.title ?? doc.source;
  document.title = `${doc.title ?? doc.source} · qa-api`;
  document.getElementById("document-meta").replaceChildren(
    code(doc.source), ` · ${doc.passage_count} paragraphs · ${doc.characters.toLocaleString("en")} characters`);
  const answer = answerSpan();
  const nodes = [];
  let section = doc.title;
  for (const passage of doc.passages) {
    if (passage.section && passage.section !== section) {
      const heading = document.createElement("h2");
      heading.textContent = passage.section;
      nodes.push(heading);
    }
    section = passage.section ?? section;
    nodes.push(paragraph(passage, answer));
  }
  body.replaceChildren(...nodes);
}

function paragraph(passage, answer) {
  const block = document.createElement("div");
  block.className = "doc-passage";
  block.id = passage.id;
  block.tabIndex = -1;
  const anchor = document.createElement("a");
  anchor.className = "pilcrow";
  anchor.href = "#" + encodeURIComponent(passage.id);
  anchor.textContent = `¶${passage.paragraph}`;
  anchor.setAttribute("aria-label", `Paragraph ${passage.paragraph}`);
  const text = document.createElement("p");
  const inside = answer && passage.start <= answer.start && answer.end <= passage.end;
  text.append(markedText(passage.text, inside ? [{ start: answer.start - passage.start, end: answer.end - passage.start, kind: "answer" }] : []));
  block.append(anchor, text);
  return block;
}

function answerSpan() {
  const match = /^(\d+)-(\d+)$/.exec(new URLSearchParams(location.search).get("answer") ?? "");
  return match ? { start: Number(match[1]), end: Number(match[2]) } : null;
}

function showTarget() {
  for (const old of body.querySelectorAll(".doc-passage.target")) old.classList.remove("target");
  const id = decodeURIComponent(location.hash.slice(1));
  const target = id && document.getElementById(id);
  if (!target || !body.contains(target)) return;
  target.classList.add("target");
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
}

function code(text) {
  const element = document.createElement("code");
  element.textContent = text;
  return element;
}
