"""Headless Chromium for the page tests: Debian's browser, installed by ``scripts/install-browser`` when needed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_SCRIPT = ROOT / "scripts" / "install-browser"
APT_COMMAND = "apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver"
INSTALL_TIMEOUT_S = 900
# Without the background-networking switches Chromium dials out at start, which a closed network refuses.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Collects what the console might not show: every Content-Security-Policy violation on the page.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


def ensure_chromium() -> Path:
    """Debian's Chromium: installed here when root, a skip naming the command otherwise (never under CI)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() == 0:
        subprocess.run([str(INSTALL_SCRIPT)], check=True, timeout=INSTALL_TIMEOUT_S)
    elif os.environ.get("CI") == "true":
        pytest.fail(f"Chromium is missing and CI must not skip the page tests; as root run: {APT_COMMAND}")
    else:
        pytest.skip(f"Chromium is missing; as root run: {APT_COMMAND}")
    assert CHROMIUM.exists(), f"{INSTALL_SCRIPT} ran but {CHROMIUM} is still missing"
    return CHROMIUM


@contextmanager
def chromium_context(profile: Path, width: int = 1100, height: int = 900) -> Iterator[BrowserContext]:
    """A fresh browser profile in ``profile`` (a new empty directory), closed on exit even after a failure."""
    executable = ensure_chromium()
    profile.mkdir(parents=True, exist_ok=False)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(executable), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height}, device_scale_factor=1, locale="en-US",
            timeout=60_000,
        )
        try:
            context.add_init_script(CSP_WATCH)
            yield context
        finally:
            context.close()
