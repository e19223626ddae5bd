"""``qa-api mcp`` driven by the MCP SDK's own client over stdio, as a chat front end would run it."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import TextContent, TextResourceContents

from tests.conftest import EXAMPLE_QUESTION, ROOT, SEEDS

pytestmark = pytest.mark.server
SESSION_TIMEOUT_S = 90


def run_session(index_dir: Path, use: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    """Start ``python -m qa_api mcp`` over stdio, hand the initialized session to ``use``, always stop it."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "qa_api", "mcp"], cwd=str(ROOT),
                                   env={"QA_API_CORPUS_DIR": str(SEEDS), "QA_API_INDEX_DIR": str(index_dir)})

    async def main() -> Any:
        with anyio.fail_after(SESSION_TIMEOUT_S):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                return await use(session)

    return anyio.run(main)


def error_text(result: Any) -> str:
    assert result.is_error
    return " ".join(c.text for c in result.content if isinstance(c, TextContent))


def test_the_tools_answer_like_the_http_api(index_dir: Path) -> None:
    async def use(session: ClientSession) -> dict[str, Any]:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        ask = await session.call_tool("ask_question", {"question": EXAMPLE_QUESTION, "top_k": 2})
        search = await session.call_tool("search_passages", {"query": "Victory Day Russian Embassy", "top_k": 3,
                                                             "sources": ["001_5fe9c23b30af33fc.txt"]})
        return {"tools": tools, "ask": ask, "search": search}

    out = run_session(index_dir, use)
    tools = out["tools"]
    assert set(tools) == {"ask_question", "search_passages"}
    schema = tools["ask_question"].input_schema["properties"]
    assert schema["question"]["maxLength"] == 1000 and schema["top_k"]["maximum"] == 50
    assert tools["ask_question"].output_schema and tools["ask_question"].description
    ask = out["ask"]
    assert not ask.is_error
    answer = ask.structured_content["answer"]
    assert answer["text"] == "late April 2025" and answer["source"] == "001_5fe9c23b30af33fc.txt"
    assert ask.structured_content["passages"][0]["id"] == "001_5fe9c23b30af33fc-p4"
    assert len(ask.structured_content["passages"]) == 2
    search = out["search"].structured_content
    assert search["passages"][0]["id"] == "001_5fe9c23b30af33fc-p2"
    assert {p["source"] for p in search["passages"]} == {"001_5fe9c23b30af33fc.txt"}


def test_the_tools_keep_the_http_api_limits(index_dir: Path) -> None:
    async def use(session: ClientSession) -> list[Any]:
        return [
            await session.call_tool("ask_question", {"question": "   "}),
            await session.call_tool("ask_question", {"question": "hi", "top_k": 51}),
            await session.call_tool("ask_question", {"question": "x" * 1001}),
            await session.call_tool("search_passages", {"query": "Putin", "sources": ["nope.txt"]}),
        ]

    blank, too_many, too_long, unknown_source = run_session(index_dir, use)
    assert "blank" in error_text(blank)
    assert "top_k" in error_text(too_many)
    assert "1000" in error_text(too_long)
    assert "nope.txt" in error_text(unknown_source)


def test_the_documents_are_resources(index_dir: Path) -> None:
    async def use(session: ClientSession) -> tuple[Any, Any]:
        listed = (await session.list_resources()).resources
        return listed, await session.read_resource(listed[2].uri)

    listed, read = run_session(index_dir, use)
    assert [r.name for r in listed] == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert listed[2].title == "North Korean leader hails deepening ties with Russia"
    assert str(listed[2].uri) == "qa-api://documents/002_43d8ff92c46573de.txt"
    content = read.contents[0]
    assert isinstance(content, TextResourceContents)
    assert content.text == (SEEDS / "002_43d8ff92c46573de.txt").read_text(encoding="utf-8")


def test_without_the_mcp_extra_the_command_says_what_to_install(index_dir: Path) -> None:
    blocked = ("import sys; sys.modules['mcp'] = None  # as if the optional extra were not installed\n"
               "from qa_api.cli import main; sys.exit(main(['mcp']))")
    done = subprocess.run([sys.executable, "-c", blocked], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QA_API_CORPUS_DIR": str(SEEDS), "QA_API_INDEX_DIR": str(index_dir)})
    assert done.returncode == 2
    assert "pip install 'qa-api[mcp]'" in done.stderr and "Traceback" not in done.stderr


def test_the_mcp_sdk_is_an_optional_extra_not_a_runtime_pin() -> None:
    runtime = (ROOT / "requirements.txt").read_text().lower().splitlines()
    assert not [line for line in runtime if line.startswith(("mcp==", "mcp-types=="))]
    assert "mcp==" in (ROOT / "requirements-mcp.txt").read_text()
    requires = importlib.metadata.requires("qa-api") or []
    assert any(r.startswith("mcp") and 'extra == "mcp"' in r for r in requires)
