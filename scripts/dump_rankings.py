"""Every question of every eval set through search and ask, as lines of JSON a diff can compare.

``python scripts/dump_rankings.py OUT.jsonl [--index DIR]`` writes, per question (and per follow-up turn), the
ranked passage ids, the float64 scores as ``repr``, each explanation's per-term shares and boosts, the
evidence and the answer of ``/v1/search``'s and ``/v1/ask``'s service calls. Run it before and after a change
that must not move results (an index format, a faster path) and ``diff`` the two files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from qa_api.service import QAService
from qa_api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TOP_K = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--index", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = Settings.from_env(index_dir=args.index) if args.index else Settings.from_env()
    service = QAService.open(settings)
    with args.out.open("w", encoding="utf-8") as out:
        for path in sorted((ROOT / "eval").glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                item = json.loads(line)
                turns = item.get("turns") or [item["question"]]
                context = ""
                for turn in turns:
                    out.write(json.dumps({"set": path.name, "id": item["id"], "turn": turn,
                                          **_dump(service, turn, context)}) + "\n")
                    context = f"{context} {turn}".strip()
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _dump(service: QAService, text: str, context: str) -> dict[str, Any]:
    search = service.search(text, TOP_K)
    ask = service.ask(text, TOP_K, context=context)
    return {
        "search": [_hit(h) for h in search.hits], "search_total": search.total,
        "ask": [_hit(h) for h in ask.hits], "ask_total": ask.total,
        "answer": None if ask.answer is None else [ask.answer.text, repr(ask.answer.confidence)],
        "evidence": None if ask.evidence is None else ask.evidence.read.passage.text[
            ask.evidence.sentence.start:ask.evidence.sentence.end],
    }


def _hit(hit: Any) -> list[Any]:
    e = hit.explanation
    return [hit.passage.id, repr(hit.score), repr(e.bm25), [[t, repr(s)] for t, s in e.terms],
            [[b, repr(s)] for b, s in e.boosts]]


if __name__ == "__main__":
    raise SystemExit(main())
