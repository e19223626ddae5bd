"""PDF: each page's text, extracted by pypdf, then read as plain text; every passage names the page it starts on.

Pages are joined by a line break, so a paragraph that runs over a page break stays whole. The title is the
file's own (document information ``/Title``), else the heading the text opens with.
"""

from __future__ import annotations

import bisect
import io
from dataclasses import replace

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from qa_api.corpus.blocks import Extracted
from qa_api.corpus.paragraphs import read_plain_text
from qa_api.errors import UnreadableDocumentError


def read(data: bytes) -> Extracted:
    try:
        pdf = PdfReader(io.BytesIO(data))
        if pdf.is_encrypted and not pdf.decrypt(""):
            raise UnreadableDocumentError("the PDF is encrypted")
        pages = [page.extract_text() for page in pdf.pages]
        title = pdf.metadata.title if pdf.metadata else None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UnreadableDocumentError(f"not a readable PDF ({exc})") from None
    starts: list[int] = []
    length = -1
    for page in pages:
        starts.append(length + 1)
        length += 1 + len(page)
    text = "\n".join(pages)
    blocks = [replace(b, page=bisect.bisect_right(starts, b.start)) for b in read_plain_text(text)]
    return Extracted(text, tuple(blocks), (title or "").strip() or None)
