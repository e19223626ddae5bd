"""Plain text: UTF-8 (a byte-order mark is dropped), read by the paragraph reader."""

from __future__ import annotations

from qa_api.corpus.blocks import Extracted
from qa_api.corpus.paragraphs import read_plain_text
from qa_api.errors import UnreadableDocumentError


def read(data: bytes) -> Extracted:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocumentError(f"not UTF-8 (byte {exc.start})") from None
    return Extracted(text, tuple(read_plain_text(text)))
