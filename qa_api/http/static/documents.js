// The list of documents: GET /v1/documents, one link per file.
import { ApiError, callApi, documentUrl } from "./api.js";

const status = document.getElementById("status");
const list = document.getElementById("documents");

try {
  const { documents } = await callApi("/v1/documents");
  list.replaceChildren(...documents.map(documentItem));
  status.textContent = `${documents.length} document${documents.length === 1 ? "" : "s"}.`;
} catch (error) {
  status.textContent = error instanceof ApiError ? error.message : "Something went wrong in this page. Please reload it.";
  status.className = "status status-error";
}

function documentItem(doc) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = documentUrl(doc.source);
  link.textContent = doc.title ?? doc.source;
  const meta = document.createElement("span");
  meta.className = "document-item-meta";
  const size = `${doc.passage_count} paragraphs · ${doc.characters.toLocaleString("en")} characters`;
  meta.textContent = doc.title ? `${doc.source} · ${size}` : size;
  item.append(link, meta);
  return item;
}
