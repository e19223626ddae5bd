"""Text as shown to people: a hard-wrapped line's break reads as a space ("Maria\nOkafor" is "Maria Okafor").

Only what people read is collapsed; the API keeps each passage's exact slice of its document, and its offsets.
"""

from __future__ import annotations


def display_text(text: str) -> str:
    """``text`` with every run of white space (line breaks included) as one space, and no space at either end."""
    return " ".join(text.split())
