// The page's one way to the public /v1 API, and the one place its errors become sentences a person can act on.
// When the server has an API key, the page asks for it once (#key-form) and keeps it for the tab.

const KEY_ITEM = "qa-api-key";
let pendingKey = null;

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export async function callApi(path, { method = "GET", body, signal } = {}) {
  for (;;) {
    const key = sessionStorage.getItem(KEY_ITEM);
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers.Authorization = `Bearer ${key}`;
    let response;
    try {
      response = await fetch(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError("The server could not be reached. Check your connection and try again.", 0);
    }
    if (response.ok) return response.json();
    if (response.status === 401 && document.getElementById("key-form")) {
      if (key && sessionStorage.getItem(KEY_ITEM) === key) sessionStorage.removeItem(KEY_ITEM);
      await askForKey(key ? "That key was not accepted. Enter the server's API key." : null);
      continue;
    }
    throw new ApiError(await explain(response), response.status);
  }
}

// Show the key form until the person submits a key; every call waiting for one shares the same prompt.
function askForKey(reason) {
  if (sessionStorage.getItem(KEY_ITEM)) return Promise.resolve();
  pendingKey ??= new Promise((resolve) => {
    const form = document.getElementById("key-form");
    const input = document.getElementById("api-key");
    if (reason) {
      document.getElementById("key-reason").textContent = reason;
      form.classList.add("key-form-refused");
    }
    form.hidden = false;
    input.value = "";
    input.focus();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY_ITEM, input.value.trim());
      form.hidden = true;
      pendingKey = null;
      resolve();
    }, { once: true });
  });
  return pendingKey;
}

async function explain(response) {
  let problem = {};
  try {
    problem = await response.json();
  } catch {
    // Not problem+json (a proxy's error page, say): the status alone has to do.
  }
  const status = response.status;
  switch (status) {
    case 401:
    case 403:
      return "This server answers only clients with an API key, and this page has none. Ask the server's operator for access.";
    case 404:
      return "That was not found. " + (problem.detail ? capitalize(problem.detail) + "." : "");
    case 413:
    case 414:
      return "That question is too long. Please shorten it and ask again.";
    case 422:
      return invalidFields(problem);
    case 429:
      return `Too many questions in a short time. Please wait ${waitTime(response)} and ask again.`;
    default:
      if (status >= 500) return `The server had a problem answering (error ${status}). Please try again in a moment.`;
      return `The server refused the request (error ${status})` + (problem.detail ? `: ${problem.detail}` : ".");
  }
}

function invalidFields(problem) {
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  if (errors.length === 0 || errors.some((e) => e.field === "question")) {
    return "That question cannot be asked. Please write a question of up to 1000 characters with at least one word.";
  }
  return "The server refused the request: " + errors.map((e) => `${e.field} ${e.message}`).join("; ") + ".";
}

function waitTime(response) {
  const header = response.headers.get("Retry-After");
  let seconds = Number.parseInt(header ?? "", 10);
  if (Number.isNaN(seconds) && header) seconds = Math.ceil((Date.parse(header) - Date.now()) / 1000);
  if (!Number.isFinite(seconds) || seconds <= 0) return "a moment";
  if (seconds === 1) return "a second";
  if (seconds < 120) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// The API counts offsets in Unicode code points (as Python does); JavaScript strings count UTF-16 units.
function unitOffsets(text) {
  const offsets = [0];
  let unit = 0;
  for (const char of text) {
    unit += char.length;
    offsets.push(unit);
  }
  return offsets;
}

// Text as people read it: each run of white space, a hard-wrapped line's break included, is one space.
// The API keeps the exact text and its offsets; only what is shown is collapsed.
export function displayText(text) {
  return text.replace(/\s+/g, " ").trim();
}

// `text` with each range ({start, end, kind} in code points) wrapped in <mark class="kind">; overlaps get both.
// White space is collapsed as in displayText, after the ranges are placed, so their offsets stay those of the API.
export function markedText(text, ranges) {
  const units = unitOffsets(text);
  const last = units.length - 1;
  const spans = ranges
    .map((r) => ({ start: units[clamp(r.start, last)], end: units[clamp(r.end, last)], kind: r.kind }))
    .filter((r) => r.start < r.end);
  const end = text.trimEnd().length;
  const cuts = [...new Set([0, end, ...spans.flatMap((r) => [Math.min(r.start, end), Math.min(r.end, end)])])]
    .sort((a, b) => a - b);
  const fragment = document.createDocumentFragment();
  let afterSpace = true; // a space at the start, or after another, is not shown
  for (let i = 0; i + 1 < cuts.length; i += 1) {
    const [from, to] = [cuts[i], cuts[i + 1]];
    const kinds = [...new Set(spans.filter((r) => r.start <= from && to <= r.end).map((r) => r.kind))];
    let piece = text.slice(from, to).replace(/\s+/g, " ");
    if (afterSpace && piece.startsWith(" ")) piece = piece.slice(1);
    if (!piece) continue;
    afterSpace = piece.endsWith(" ");
    if (kinds.length === 0) {
      fragment.append(piece);
    } else {
      const mark = document.createElement("mark");
      mark.className = kinds.join(" ");
      mark.textContent = piece;
      fragment.append(mark);
    }
  }
  return fragment;
}

function clamp(value, max) {
  return Math.max(0, Math.min(max, value));
}

export function documentUrl(source, { passageId, answer } = {}) {
  let url = "/documents/" + source.split("/").map(encodeURIComponent).join("/");
  if (answer) url += `?answer=${answer.start}-${answer.end}`;
  if (passageId) url += "#" + encodeURIComponent(passageId);
  return url;
}

export function apiDocumentPath(source) {
  return "/v1/documents/" + source.split("/").map(encodeURIComponent).join("/");
}
