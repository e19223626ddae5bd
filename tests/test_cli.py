"""The command line: index, ask, eval (serve is exercised against a real server in test_server.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa_api.cli import main
from tests.conftest import EXAMPLE_QUESTION, ROOT


def test_index_builds_and_reports(corpus_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "--corpus", str(corpus_copy), "--index", str(tmp_path / "idx")]) == 0
    assert "indexed 59 passages from 5 files" in capsys.readouterr().out
    assert (tmp_path / "idx" / "CURRENT").exists()


def test_ask_prints_the_answer_and_ranked_passages(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", EXAMPLE_QUESTION, "--top-k", "2", "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Answer: late April 2025")
    assert "[1] 001_5fe9c23b30af33fc.txt ¶4" in out and "[3]" not in out


def test_ask_json_is_the_http_response_shape(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", EXAMPLE_QUESTION, "--json", "--index", str(index_dir)]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["answer"]["text"] == "late April 2025" and len(body["passages"]) == 5


def test_eval_prints_the_figures(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(ROOT / "eval" / "dev.jsonl"), "--json", "--index", str(index_dir)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["questions"] == 24 and report["answerable"] == 22
    assert {"recall@1", "recall@5", "mrr@10", "answer_accuracy", "unanswerable_null"} <= set(report)


def test_a_missing_corpus_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "idx")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bad_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QA_API_K1", "high")
    assert main(["index"]) == 2
    assert "QA_API_K1" in capsys.readouterr().err


def test_every_process_scores_a_question_alike(index_dir: Path) -> None:
    """Gunicorn workers are separate processes with their own string-hash seeds: no sum may follow set order."""
    question = "Did Russia and North Korea exchange letters to mark the liberation of Korea from Japan?"

    def scores(seed: str) -> list[tuple[str, float]]:
        done = subprocess.run([sys.executable, "-m", "qa_api", "ask", question, "--json", "--top-k", "10",
                               "--index", str(index_dir)], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PYTHONHASHSEED": seed}, check=True)
        return [(p["id"], p["score"]) for p in json.loads(done.stdout)["passages"]]

    assert scores("1") == scores("2") == scores("3")


@pytest.mark.parametrize(("argv", "message"), [
    (["ask", ""], "question: String should have at least 1 character"),
    (["ask", "x" * 1001], "question: String should have at most 1000 characters"),
])
def test_ask_refuses_what_post_ask_refuses(index_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                           message: str) -> None:
    assert main([*argv, "--index", str(index_dir)]) == 2
    assert capsys.readouterr().err.strip() == f"qa-api: error: {message}"


def test_eval_of_a_file_without_questions_is_an_error(index_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    assert main(["eval", str(tmp_path / "empty.jsonl"), "--index", str(index_dir)]) == 2
    assert "empty.jsonl: no questions" in capsys.readouterr().err


def test_serve_without_nginx_names_the_command_to_install_it(monkeypatch: pytest.MonkeyPatch, index_dir: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from qa_api.serving import nginx

    monkeypatch.setattr(nginx, "find_binary", lambda: None)
    monkeypatch.delenv("QA_API_PROXY", raising=False)
    assert main(["serve", "--index", str(index_dir)]) == 2
    err = capsys.readouterr().err
    assert nginx.INSTALL_COMMAND in err and "QA_API_PROXY=off" in err


def test_ingest_writes_each_file_and_each_directorys_files_searchable_when_it_returns(
        corpus_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_API_DENSE", "off")
    new = tmp_path / "new"
    (new / "deep").mkdir(parents=True)
    (new / "deep" / "owls.md").write_text("# Owls\n\nThe snowy owl nests on the tundra.\n", encoding="utf-8")
    (new / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "single.txt").write_text("A quillback rockfish lives for a century.\n", encoding="utf-8")
    where = ["--corpus", str(corpus_copy), "--index", str(tmp_path / "idx")]
    assert main(["ingest", str(new), str(tmp_path / "single.txt"), *where]) == 1  # one file refused
    out, err = capsys.readouterr()
    assert "ingested 2 documents (2 new, 0 replaced); 7 in the corpus" in out
    assert "latin1.txt: not UTF-8" in err and "ingesting" in err  # the refusal, and the progress bar
    assert main(["ask", "Where does the snowy owl nest?", "--json", *where]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["passages"][0]["source"] == "deep/owls.md"


def test_index_brings_the_corpus_directorys_changes_into_the_store(corpus_copy: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--corpus", str(corpus_copy), "--index", str(tmp_path / "idx")]
    assert main(["index", *where]) == 0
    (corpus_copy / "000_991727d72fd32601.txt").unlink()
    (corpus_copy / "extra.txt").write_text("The zanderfish spawns in April.\n", encoding="utf-8")
    assert main(["index", *where]) == 0
    out = capsys.readouterr().out
    assert "indexed 54 passages from 5 files" in out.splitlines()[-1]  # an article of 6 passages gone, one come
