"""Command line: ``qa-api index | ingest | ask | serve | mcp | eval`` (also ``python -m qa_api``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from qa_api import __version__
from qa_api.corpus import DocumentStore, Passage, corpus_files, display_text, load_corpus
from qa_api.corpus.formats import kind_of
from qa_api.errors import CorpusError, QAError
from qa_api.evaluate import evaluate, evaluate_follow_ups, format_follow_ups, format_report, read_questions
from qa_api.frontends.about import describe
from qa_api.frontends.schemas import DEFAULT_TOP_K, MAX_TOP_K, AskRequest, AskResponse
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.encoder import Encoder, shared_encoder
from qa_api.retrieval.local import LocalBackend, open_local
from qa_api.retrieval.solr import SolrClient, build_collection
from qa_api.retrieval.store import rebuild_index
from qa_api.service import QAService, bm25_params
from qa_api.serving import nginx
from qa_api.serving.supervisor import GUNICORN_APP, GUNICORN_CONFIG
from qa_api.settings import Settings, documented_settings

T = TypeVar("T")
# Creating a collection and committing a push take longer than a search: wait for them, never repeat them.
SOLR_INDEX_TIMEOUT_S = 600.0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(corpus_dir=getattr(args, "corpus", None), index_dir=getattr(args, "index", None))
        return int(args.run(args, settings))
    except (QAError, OSError, ValueError) as exc:
        print(f"qa-api: error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    settings_help = "\n".join(
        f"  {name:22} {help} (default: {default})" for name, default, help in documented_settings()
    )
    parser = argparse.ArgumentParser(prog="qa-api", description="Question answering over a corpus of text files.",
                                     epilog="settings (environment variables):\n" + settings_help,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"qa-api {__version__}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--corpus", type=Path, help="corpus directory (QA_API_CORPUS_DIR)")
        p.add_argument("--index", type=Path, help="index directory (QA_API_INDEX_DIR)")
        return p

    p = command("index", "Build or rebuild the index from the corpus (with QA_API_BACKEND=solr: a fresh Solr "
                         "collection, then the alias switched to it).")
    p.set_defaults(run=cmd_index)

    p = command("ingest", "Add or replace documents: each file named (and every file of a kind we read under each "
                          "directory named), as PUT /v1/documents does; searchable when this returns.")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.set_defaults(run=cmd_ingest)

    p = command("ask", "Answer a question from the command line.")
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=DEFAULT_TOP_K, choices=range(1, MAX_TOP_K + 1), metavar="N")
    p.add_argument("--json", action="store_true", help="print the same JSON as POST /v1/ask")
    p.set_defaults(run=cmd_ask)

    p = command("serve", "Serve the HTTP API: nginx in front of gunicorn (index built first if needed).")
    p.add_argument("--host", help="bind address (QA_API_HOST)")
    p.add_argument("--port", type=int, help="port (PORT or QA_API_PORT)")
    p.add_argument("--workers", type=int, help="worker processes (QA_API_WORKERS)")
    p.set_defaults(run=cmd_serve)

    p = command("mcp", "Serve the search and ask tools and the documents to an MCP client over stdio.")
    p.set_defaults(run=cmd_mcp)

    p = command("eval", "Measure retrieval and answers on a JSONL question set (or follow-ups on conversations).")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.set_defaults(run=cmd_eval)
    return parser


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    encoder = shared_encoder() if settings.dense else None
    if settings.backend == "solr":
        return _index_solr(settings, bm25_params(settings), encoder)
    store = DocumentStore(settings.store_path)
    changed = store.import_directory(settings.corpus_dir, first_start=False)
    print(f"{settings.corpus_dir}: {changed} documents written to or removed from the store", file=sys.stderr)
    index = rebuild_index(store, settings.index_dir, bm25_params(settings), progress=progress_bar, encoder=encoder)
    m = index.manifest
    print(f"indexed {m['corpus']['passages']} passages from {m['corpus']['documents']} files "
          f"({m['stats']['terms']} terms) in {m['build_seconds']:.2f}s -> {settings.index_dir}")
    for source, reason in zip(m["corpus"]["skipped"], m["corpus"]["skip_reasons"], strict=True):
        print(f"skipped {source}: {reason}", file=sys.stderr)
    return 0


def _index_solr(settings: Settings, params: BM25Params, encoder: Encoder | None) -> int:
    corpus = load_corpus(settings.corpus_dir)
    client = SolrClient(settings.solr_urls, timeout=max(settings.solr_timeout, SOLR_INDEX_TIMEOUT_S))
    built = build_collection(client, settings.solr_collection, corpus, params=params, shards=settings.solr_shards,
                             replication_factor=settings.solr_replication_factor, analyzer=Analyzer(),
                             encoder=encoder, progress=progress_bar)
    print(f"indexed {built.passages} passages from {built.documents} files ({built.terms} terms) in "
          f"{built.seconds:.2f}s -> Solr collection {built.collection}, now behind alias {settings.solr_collection}"
          + (f" (was {built.replaced})" if built.replaced else ""))
    for source, reason in zip(corpus.skipped, corpus.skip_reasons, strict=True):
        print(f"skipped {source}: {reason}", file=sys.stderr)
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    try:  # the same bounds as POST /v1/ask
        request = AskRequest(question=args.question, top_k=args.top_k)
    except ValidationError as exc:
        raise ValueError(f"question: {exc.errors()[0]['msg']}") from None
    service = QAService.open(settings, progress=progress_bar)
    result = service.ask(request.question, request.top_k)
    if args.json:
        print(AskResponse.of(result).model_dump_json(indent=2))
        return 0
    a = result.answer
    print(f"Answer: {display_text(a.text)}  ({a.type.value}, confidence {a.confidence:.2f}, {a.passage_id})" if a
          else "Answer: the corpus does not say.")
    for hit in result.hits:
        print(f"\n[{hit.rank}] {_where(hit.passage)}  score {hit.score:.3f}\n    {_shorten(hit.passage.text, 300)}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if settings.proxy == "nginx" and nginx.find_binary() is None:
        raise QAError(f"qa-api serve puts nginx in front of gunicorn, and nginx is missing: as root run "
                      f"`{nginx.INSTALL_COMMAND}` (or set QA_API_PROXY=off behind a buffering proxy of your own)")
    if settings.backend == "solr":  # fail here, not in every worker, while no Solr node answers
        QAService.open(settings).stats()
    else:  # build now, with a progress bar, not inside gunicorn; only the index, which the workers load themselves
        open_local(settings.store_path, settings.corpus_dir, settings.index_dir, bm25_params(settings), Analyzer(),
                   progress_bar, shared_encoder() if settings.dense else None)
    env = dict(os.environ, QA_API_CORPUS_DIR=str(settings.corpus_dir), QA_API_INDEX_DIR=str(settings.index_dir))
    for name, value in (("QA_API_HOST", args.host), ("QA_API_PORT", args.port), ("QA_API_WORKERS", args.workers)):
        if value is not None:
            env[name] = str(value)
    if args.port is not None:
        env.pop("PORT", None)
    if settings.proxy == "off":
        argv = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, GUNICORN_APP]
    else:
        argv = [sys.executable, "-m", "qa_api.serving.supervisor"]
    os.execve(sys.executable, argv, env)
    return 0  # not reached


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    files = [(source, path) for given in args.paths for source, path in _named_files(given)]
    service = QAService.open(settings, progress=progress_bar)
    created = replaced = 0
    refused: list[str] = []
    for source, path in progress_bar(files, len(files), "ingesting"):
        try:
            _, new = service.put_document(source, path.read_bytes(), kind_of(source, ""))
        except CorpusError as exc:  # not a kind we read, or unreadable as its kind: the others go on
            refused.append(f"{path}: {exc}")
            continue
        created, replaced = created + new, replaced + (not new)
    if isinstance(service.backend, LocalBackend):
        service.backend.flush()
    print(f"ingested {created + replaced} documents ({created} new, {replaced} replaced); "
          f"{service.stats().documents} in the corpus")
    for why in refused:
        print(f"refused {why}", file=sys.stderr)
    return 1 if refused else 0


def _named_files(given: Path) -> list[tuple[str, Path]]:
    """A file as its name; a directory's files of the kinds we read as their paths under it."""
    if given.is_dir():
        return [(path.relative_to(given).as_posix(), path) for path in corpus_files(given)]
    if not given.is_file():
        raise CorpusError(f"{given} is neither a file nor a directory")
    return [(given.name, given)]


MCP_MISSING = ("qa-api mcp needs the MCP SDK, an optional extra: pip install 'qa-api[mcp]' "
               "(in a checkout: .venv/bin/pip install -r requirements-mcp.txt)")


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from qa_api.frontends.mcp import build_server  # the MCP SDK loads only for this command
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "mcp":
            raise
        print(f"qa-api: error: {MCP_MISSING}", file=sys.stderr)
        return 2

    service = QAService.open(settings, progress=progress_bar)
    build_server(service, describe(service, settings)).run("stdio")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    questions = read_questions(args.file)  # a bad file is reported before the index is loaded
    service = QAService.open(settings, progress=progress_bar)
    if all(q.turns for q in questions):  # conversations: how the last turn fares after the ones before
        figures = evaluate_follow_ups(service, questions)
        print(json.dumps(figures, indent=2, ensure_ascii=False) if args.json else format_follow_ups(figures))
        return 0
    report = evaluate(service, questions)
    print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if args.json else format_report(report))
    return 0


# what each long step counts, and from how many a bar is worth drawing
PROGRESS_UNITS = {"indexing": ("file", 200), "embedding": ("sentence", 5_000), "ingesting": ("file", 2)}


def progress_bar(items: Iterable[T], total: int, what: str) -> Iterable[T]:
    """A progress bar on a terminal for large corpora; silent for small ones and in logs."""
    unit, at_least = PROGRESS_UNITS.get(what, ("item", 1_000))
    if total < at_least:
        return items
    from tqdm import tqdm

    bar: Iterable[T] = tqdm(items, total=total, unit=unit, desc=what, file=sys.stderr)
    return bar


def _where(p: Passage) -> str:
    return f"{p.source} ¶{p.paragraph}" + (f" · {p.section}" if p.section else "")


def _shorten(text: str, width: int) -> str:
    text = display_text(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
