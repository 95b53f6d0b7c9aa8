"""``/docs`` in a real headless browser (Debian's chromium, installed by ``make install``):
Swagger UI renders the served document with every operation listed, from files of the
gateway's own origin only (its Content-Security-Policy would block anything else)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import requests

from tests.common.openapi_check import checked_request

CHROMIUM = "/usr/bin/chromium"
BROWSER_TIMEOUT = 120
# Swagger UI's summary line of one operation: its method, then its path.
OPERATION = re.compile(r'class="opblock-summary-method"[^>]*>([A-Z]+)</span>.*?data-path="([^"]*)"', re.S)


def rendered_dom(url: str, profile: Path) -> str:
    assert Path(CHROMIUM).is_file() or shutil.which("chromium"), (
        f"{CHROMIUM} is missing: this test needs a headless browser; `make install` tries to install "
        "Debian's chromium (infra/ensure_packages.py), or: sudo apt-get install chromium")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--virtual-time-budget=20000",
               "--dump-dom", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_docs_page_lists_every_operation_in_a_real_browser(stack, tmp_path):
    document = checked_request("GET", f"{stack.api_url}/v1/openapi.json", timeout=30).json()
    expected = {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}
    assert ("GET", "/docs") in expected

    dom = rendered_dom(f"{stack.api_url}/docs", tmp_path / "profile")

    listed = {(method, html.unescape(path).replace("\u200b", "")) for method, path in OPERATION.findall(dom)}
    assert listed == expected, (sorted(expected - listed), sorted(listed - expected))
    assert document["info"]["title"] in html.unescape(dom)


def test_the_docs_page_shows_an_operations_extension_mark(stack, tmp_path):
    document = checked_request("GET", f"{stack.api_url}/v1/openapi.json", timeout=30).json()
    extended = next(operation for methods in document["paths"].values() for operation in methods.values()
                    if "x-extension" in operation)
    # deepLinking: the fragment opens that one operation, whose extensions table is rendered.
    fragment = f"#/{extended['tags'][0]}/{extended['operationId']}"
    dom = html.unescape(rendered_dom(f"{stack.api_url}/docs{fragment}", tmp_path / "profile"))
    assert "x-extension" in dom
    assert f"Extension: {extended['x-extension']}" in dom


def test_the_docs_page_needs_no_token(stack):
    page = requests.get(f"{stack.api_url}/docs", timeout=30)
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
