"""The page for people: its HTML routes (contract-checked) and, in headless Chromium, the whole visit."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from tests import browser as browser_module
from tests.browser import chromium_context
from tests.conftest import EXAMPLE_QUESTION, ROOT, SEEDS, ContractClient
from tests.live import LiveServer, start_server
from tests.test_about import BEES, LIGHTHOUSE

ANSWER_SOURCE = "001_5fe9c23b30af33fc.txt"
ANSWER_PASSAGE = "001_5fe9c23b30af33fc-p4"
OUTPUT = ROOT / "test-output" / "page"
PHONE = {"width": 390, "height": 844}
KEY = "page-test-key"


def test_the_question_page_is_html_under_the_strict_policy(client: ContractClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'placeholder="What about ' in html  # an example made from the corpus's headings
    assert 'aria-live="polite"' in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    # Nothing inline that the policy would block, and nothing fetched from another host.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html
    assert not re.search(r"""(?:src|href)="(?:https?:)?//""", html)


def test_a_document_page_names_its_document(client: ContractClient) -> None:
    response = client.get(f"/documents/{ANSWER_SOURCE}", query={"answer": "1014-1029"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert f'data-source="{ANSWER_SOURCE}"' in response.get_data(as_text=True)


def test_an_unknown_document_page_is_a_404_page_for_people(client: ContractClient) -> None:
    response = client.get("/documents/<script>nope.txt")
    assert response.status_code == 404 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "No such document" in html and "<script>nope" not in html and "&lt;script&gt;nope.txt" in html


def test_the_documents_page_and_the_page_assets_are_served(client: ContractClient) -> None:
    assert client.get("/documents").mimetype == "text/html"
    for name, mimetype in [("page.css", "text/css"), ("ask.js", "text/javascript"), ("api.js", "text/javascript"),
                           ("document.js", "text/javascript"), ("documents.js", "text/javascript"),
                           ("favicon.svg", "image/svg+xml")]:
        with client.client.get(f"/static/{name}") as response:
            assert response.status_code == 200 and response.mimetype == mimetype, name


# In the browser -------------------------------------------------------------------------------------------------


class Watched:
    """A page whose console errors, uncaught exceptions and CSP violations are kept for the final check."""

    def __init__(self, context: BrowserContext) -> None:
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"console {message.type}: {message.text}")

    def problems(self) -> list[str]:
        violations: list[str] = self.page.evaluate("window.__cspViolations ?? []")
        return self.errors + [f"CSP: {v}" for v in violations]


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    with chromium_context(tmp_path / "profile", width=1024, height=1000) as context:
        yield context


@pytest.fixture(scope="module")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.mark.browser
@pytest.mark.server
def test_a_person_asks_the_example_question_and_follows_the_evidence(
        live_server: LiveServer, browser: BrowserContext, output_dir: Path) -> None:
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{live_server.url}/")
    expect(page.locator("#question")).to_be_focused()  # autofocus: a keyboard user can type at once

    page.keyboard.type(EXAMPLE_QUESTION)
    page.keyboard.press("Enter")

    expect(page.locator("#answer-text")).to_have_text("late April 2025")
    expect(page.locator("#status")).to_contain_text("Answer: late April 2025")
    expect(page).to_have_url(re.compile(r"\?q=When%20did%20North%20Korea"))
    first = page.locator("#passages > li").first
    expect(first.locator(".passage-source")).to_have_text(ANSWER_SOURCE)
    expect(first.locator("mark.answer")).to_have_text("late April 2025")
    assert {"North", "Korea", "confirmed", "troops"} <= set(first.locator("mark.term").all_inner_texts())
    expect(page.locator("#answer-sentence mark.answer")).to_have_text("late April 2025")
    confidence = page.locator("#answer-confidence-text").inner_text()
    assert re.fullmatch(r"\d{1,3}%", confidence), confidence
    page.screenshot(path=output_dir / "answer.png")
    page.screenshot(path=output_dir / "answer-full.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.screenshot(path=output_dir / "answer-phone.png")
    assert _fits_the_width(page)

    first.locator(".passage-source").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/documents/{re.escape(ANSWER_SOURCE)}\?answer=\d+-\d+#{ANSWER_PASSAGE}$"))
    target = page.locator(f'[id="{ANSWER_PASSAGE}"]')
    expect(target).to_have_class(re.compile(r"\btarget\b"))
    expect(target).to_be_in_viewport()
    expect(target).to_be_focused()
    expect(target.locator("mark.answer")).to_have_text("late April 2025")
    page.screenshot(path=output_dir / "document-phone.png")
    assert _fits_the_width(page)

    assert watched.problems() == []


@pytest.fixture(scope="module")
def bees_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The server over a corpus about something else than news: bees (hard-wrapped text) and a lighthouse."""
    corpus = tmp_path_factory.mktemp("bees")
    (corpus / "bees.txt").write_text(BEES, encoding="utf-8")
    (corpus / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    env = dict(os.environ, QA_API_CORPUS_DIR=str(corpus), QA_API_INDEX_DIR=str(tmp_path_factory.mktemp("index")))
    with start_server(env, tmp_path_factory.mktemp("bees-server") / "server.log", workers=1) as server:
        yield server


@pytest.mark.browser
@pytest.mark.server
def test_a_corpus_about_bees_gets_a_page_about_bees_that_reads_without_line_breaks(
        bees_server: LiveServer, browser: BrowserContext, output_dir: Path) -> None:
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{bees_server.url}/")
    expect(page.locator("h1")).to_have_text("Ask the documents")
    expect(page.locator(".lede")).to_contain_text("the 2 documents in the corpus")
    examples = page.locator("#ask-hint a")
    expect(examples).to_have_text(["What about keeping bees at Tampere?", "What about the Gray Point lighthouse?",
                                   "What about the winter cluster?"])
    expect(page.locator("#question")).to_have_attribute("placeholder", "What about keeping bees at Tampere?")
    assert not re.search(r"news|North Korea|articles", page.content())

    page.locator("#question").fill("Who keeps forty colonies?")
    page.locator("#question").press("Enter")
    # The API's answer is "Maria\nOkafor", the source's exact slice; people read it on one line.
    expect(page.locator("#answer-text")).to_have_text("Maria Okafor")
    expect(page.locator("#status")).to_contain_text("Answer: Maria Okafor.")
    first = page.locator("#passages > li").first
    expect(first.locator("mark.answer")).to_have_text("Maria Okafor")
    shown = [first.locator(".passage-text").text_content(), page.locator("#answer-sentence").text_content(),
             page.locator("#answer-text").text_content(), page.locator("#status").text_content()]
    assert all(text and "\n" not in text and "  " not in text for text in shown), shown
    assert "run by Maria Okafor, who keeps forty colonies there and weighs every hive in October" in shown[0]
    page.screenshot(path=output_dir / "bees-answer.png")

    first.locator(".passage-source").click()
    target = page.locator(".doc-passage.target")
    expect(target.locator("mark.answer")).to_have_text("Maria Okafor")
    assert "\n" not in (target.text_content() or "")
    assert watched.problems() == []


@pytest.mark.browser
@pytest.mark.server
def test_the_documents_list_is_reachable_from_the_page(
        live_server: LiveServer, browser: BrowserContext, output_dir: Path) -> None:
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Documents").click()
    listed = requests.get(f"{live_server.url}/v1/documents", timeout=10).json()["documents"]
    expect(page.locator("#documents > li")).to_have_count(len(listed))
    expect(page.locator("#status")).to_have_text(f"{len(listed)} documents.")
    page.screenshot(path=output_dir / "documents.png")
    page.locator("#documents a").first.click()
    expect(page.locator("#document-body .doc-passage")).to_have_count(listed[0]["passage_count"])
    expect(page.locator("h1")).to_have_text(listed[0]["title"] or listed[0]["source"])
    page.screenshot(path=output_dir / "document.png")
    assert watched.problems() == []


@pytest.mark.browser
@pytest.mark.server
def test_a_question_without_a_short_answer_shows_the_closest_sentence(live_server: LiveServer,
                                                                      browser: BrowserContext) -> None:
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{live_server.url}/?q=Who+won+the+football+world+cup%3F")  # related passages, no answer in them
    expect(page.locator("#answer-text")).to_have_text("No short answer")
    expect(page.locator("#status")).to_contain_text("No short answer. The closest sentence")
    expect(page.locator("#answer-meta")).to_be_hidden()
    expect(page.locator("#answer-explain")).to_contain_text("the sentence that comes closest")
    expect(page.locator("#answer-sentence")).to_be_visible()
    expect(page.locator("#answer-sentence")).not_to_be_empty()
    expect(page.locator("#answer-link")).to_have_attribute("href", re.compile(r"/documents/.+\.txt"))
    expect(page.locator("#evidence")).to_be_visible()
    expect(page.locator("#passages mark.answer")).to_have_count(0)
    assert page.locator("#passages > li").count() >= 1

    page.locator("#question").fill("What is the airspeed velocity of an unladen swallow?")  # no word in the corpus
    page.locator("#question").press("Enter")
    expect(page.locator("#status")).to_have_text("The corpus does not say: no passage shares a word with the question.")
    expect(page.locator("#answer-sentence")).to_be_hidden()
    expect(page.locator("#evidence")).to_be_hidden()
    assert watched.problems() == []


@pytest.mark.browser
@pytest.mark.server
def test_the_servers_refusals_are_told_in_plain_words(live_server: LiveServer, browser: BrowserContext) -> None:
    page = Watched(browser).page
    # A real 422 from the server: the URL can carry more than the input box lets a person type.
    page.goto(f"{live_server.url}/?q={'why ' * 260}")
    expect(page.locator("#status")).to_have_text(re.compile(r"^That question cannot be asked\."))
    expect(page.locator("#results")).to_be_hidden()

    # Rate limits and API keys come from the deployment in front of the API; the page must explain both.
    for status, headers, expected in [
        (429, {"Retry-After": "30"}, "Too many questions in a short time. Please wait 30 seconds and ask again."),
        (401, {}, "This server answers only clients with an API key"),
        (503, {}, "The server had a problem answering (error 503)"),
    ]:
        page.unroute("**/v1/ask")
        page.route("**/v1/ask", _refuse(status, headers))
        page.locator("#question").fill(EXAMPLE_QUESTION)
        page.locator("#question").press("Enter")
        expect(page.locator("#status")).to_contain_text(expected)
        expect(page.locator("#status")).to_have_class(re.compile(r"\bstatus-error\b"))


def _refuse(status: int, headers: dict[str, str]) -> Any:
    def handler(route: Any) -> None:
        route.fulfill(status=status, headers=headers, content_type="application/problem+json",
                      body=f'{{"type": "about:blank", "title": "Refused", "status": {status}, "detail": "refused"}}')
    return handler


def _fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.browser
@pytest.mark.server
def test_the_watch_would_see_a_csp_violation(live_server: LiveServer, browser: BrowserContext) -> None:
    watched = Watched(browser)
    watched.page.goto(f"{live_server.url}/documents")
    watched.page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<p style="color: red">inline</p>')""")
    expect(watched.page.locator("p", has_text="inline")).to_be_attached()
    assert any("style-src" in problem for problem in watched.problems()), watched.problems()


@pytest.mark.parametrize(("ci", "outcome"), [("", pytest.skip.Exception), ("true", pytest.fail.Exception)])
def test_without_chromium_a_non_root_run_names_the_command_and_ci_fails(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str, outcome: type[BaseException]) -> None:
    monkeypatch.setattr(browser_module, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(browser_module.os, "geteuid", lambda: 1000)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=re.escape(browser_module.APT_COMMAND)):
        browser_module.ensure_chromium()


@pytest.fixture(scope="module")
def locked_server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``qa-api serve`` with an API key."""
    env = dict(os.environ, QA_API_CORPUS_DIR=str(SEEDS), QA_API_INDEX_DIR=str(index_dir), QA_API_KEY=KEY)
    with start_server(env, tmp_path_factory.mktemp("locked") / "server.log") as server:
        yield server


@pytest.mark.browser
@pytest.mark.server
def test_with_a_key_the_page_asks_for_it_once_and_keeps_it_for_the_tab(
        locked_server: LiveServer, browser: BrowserContext, output_dir: Path) -> None:
    listed = requests.get(f"{locked_server.url}/v1/documents", headers={"Authorization": f"Bearer {KEY}"},
                          timeout=10).json()["documents"]
    titled = next(d for d in listed if d["title"])
    assert titled["title"] not in requests.get(f"{locked_server.url}/documents/{titled['source']}", timeout=10).text

    watched = Watched(browser)
    page = watched.page
    page.goto(f"{locked_server.url}/documents")
    expect(page.locator("#key-form")).to_be_visible()
    expect(page.locator("#api-key")).to_be_focused()
    expect(page.locator("#documents > li")).to_have_count(0)
    page.screenshot(path=output_dir / "key-asked.png")

    page.locator("#api-key").fill("not-the-key")
    page.locator("#api-key").press("Enter")
    expect(page.locator("#key-reason")).to_have_text("That key was not accepted. Enter the server's API key.")
    page.locator("#api-key").fill(KEY)
    page.locator("#api-key").press("Enter")
    expect(page.locator("#key-form")).to_be_hidden()
    expect(page.locator("#documents > li")).to_have_count(len(listed))

    # The same tab keeps the key: the next pages ask the API with it, and the person nothing.
    page.get_by_role("link", name=titled["title"]).click()
    expect(page.locator("h1")).to_have_text(titled["title"])
    expect(page.locator("#document-body .doc-passage")).to_have_count(titled["passage_count"])
    expect(page.locator("#key-form")).to_be_hidden()
    page.goto(f"{locked_server.url}/?q={EXAMPLE_QUESTION}")
    expect(page.locator("#answer-text")).to_have_text("late April 2025")
    expect(page.locator("#key-form")).to_be_hidden()

    # Another tab has to be given the key again.
    other = browser.new_page()
    other.goto(f"{locked_server.url}/documents")
    expect(other.locator("#key-form")).to_be_visible()
    # The browser reports each 401 it was answered as a failed load; nothing else may go wrong.
    assert [p for p in watched.problems() if "status of 401" not in p] == []
