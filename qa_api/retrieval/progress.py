"""How long-running steps report progress: a wrapper around what they iterate over (the CLI draws a bar)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Progress(Protocol):
    """``progress(items, total, "indexing")`` yields ``items`` and shows how far through ``total`` they are."""

    def __call__(self, items: Iterable[T], total: int, what: str) -> Iterable[T]: ...
