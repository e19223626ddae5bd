"""The `$ curl ...` examples of the README and docs/: found, replayed against a server, compared, or rewritten with
real output.

    python -m tests.readme_examples http://127.0.0.1:8000   # rewrite every example's output from that server

An example is a line starting with ``$ curl`` (continued over lines while a quote is open), then its output up
to the next ``$`` line or the end of the code block. Supported pipes are the ones the README uses:
``python3 -m json.tool --no-ensure-ascii`` and ``jq [-r] '.path[0].to.value'``.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCUMENTS = (README, *sorted((ROOT / "docs").glob("*.md")))  # every page whose examples are replayed
SHOWN_URL = "http://127.0.0.1:8000"
# Values that differ on every run: timings, build times, generated ids and clocks.
VOLATILE_KEYS = {"took_ms", "index_built_at", "index_build_seconds", "created", "instance"}
VOLATILE_VALUES = re.compile(r"^chatcmpl-[0-9a-f]+$")


@dataclass(frozen=True)
class Example:
    command: str
    output: str
    first_output_line: int  # 0-based line numbers in its page
    end_output_line: int


def find_examples(text: str) -> list[Example]:
    lines = text.splitlines()
    found: list[Example] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ curl"):
            i += 1
            continue
        command, i = _command_at(lines, i)
        start = i
        while i < len(lines) and not lines[i].startswith(("$ ", "```")):
            i += 1
        found.append(Example(command, "\n".join(lines[start:i]).strip(), start, i))
    return found


def run(example: Example, base_url: str) -> str:
    """What the example's command prints against ``base_url``, formatted as its pipe would."""
    curl, _, pipe = example.command.partition(" | ")
    args = shlex.split(curl)[1:]
    method, headers, data, url = "GET", {}, None, ""
    it = iter(args)
    for arg in it:
        if arg == "-X":
            method = next(it)
        elif arg == "-H":
            name, _, value = next(it).partition(":")
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            data, method = next(it), "POST" if method == "GET" else method
        elif not arg.startswith("-"):
            url = arg.replace(SHOWN_URL, base_url)
    response = requests.request(method, url, headers=headers, data=data, timeout=30)
    return _format(response.json(), pipe.strip())


def comparable(output: str) -> Any:
    """The output with volatile values masked, parsed when it is JSON."""
    try:
        return _mask(json.loads(output))
    except ValueError:
        return output


def rewrite(base_url: str) -> None:
    for page in DOCUMENTS:
        lines = page.read_text(encoding="utf-8").splitlines()
        for example in reversed(find_examples("\n".join(lines))):
            lines[example.first_output_line:example.end_output_line] = run(example, base_url).splitlines()
        page.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _command_at(lines: list[str], i: int) -> tuple[str, int]:
    command = lines[i][2:]
    i += 1
    while True:
        try:
            shlex.split(command)
            return command, i
        except ValueError:  # an open quote: the command goes on
            command += "\n" + lines[i]
            i += 1


def _format(body: Any, pipe: str) -> str:
    if pipe.startswith("python3 -m json.tool"):
        return json.dumps(body, indent=4, ensure_ascii=False)
    match = re.fullmatch(r"jq (-r )?'([^']*)'", pipe)
    if not match:
        raise ValueError(f"unsupported pipe in README example: {pipe!r}")
    value = _path(body, match.group(2))
    if match.group(1) and isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def _path(value: Any, path: str) -> Any:
    for key, index in re.findall(r"\.(\w+)|\[(\d+)\]", path):
        value = value[key] if key else value[int(index)]
    return value


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<varies>" if k in VOLATILE_KEYS else _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, str) and VOLATILE_VALUES.match(value):
        return "<varies>"
    return value


if __name__ == "__main__":
    rewrite(sys.argv[1] if len(sys.argv) > 1 else SHOWN_URL)
