"""``rft view`` in Debian's Chromium (Playwright) against a real uvicorn on 127.0.0.1: browse the demo's runs, filter
to failures, open a sample, label three with the keyboard, reload, compare with the baseline; hostile outputs stay
text and run nothing (console, page errors and every network request are recorded and checked).

Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from .runs import HOSTILE_ITEM, HOSTILE_OUTPUT, IMG, SCRIPT

playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (scripts/setup.sh installs it)"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(runs_dir: Path) -> Iterator[str]:
    from rft_kit.viewer.app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(runs_dir), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@dataclass
class Recorder:
    """Everything a page said and fetched."""

    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as play:
        instance = play.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


def _page(browser: Any) -> tuple[Any, Recorder]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    seen = Recorder()
    page.on("console", lambda message: seen.console.append((message.type, message.text)))
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("request", lambda request: seen.requests.append(request.url))
    return page, seen


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=20_000)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"viewer-{name}.png"), full_page=True)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_browse_filter_label_reload_and_compare(server: str, browser: Any, runs_dir: Path) -> None:
    page, seen = _page(browser)
    _open(page, server + "/")
    names = page.locator("#runs tbody tr").evaluate_all("rows => rows.map(r => r.dataset.run)")
    assert {"demo-base", "demo-strong"} <= set(names)
    assert "demo-base → demo-strong" in page.locator("tr[data-run='demo-strong']").inner_text()
    _shot(page, "runs")

    page.click("tr[data-run='demo-strong'] a")
    page.wait_for_selector("#samples")
    page.select_option("#f-status", "failed")
    page.wait_for_function("new URLSearchParams(location.search).get('status') === 'failed'")
    page.wait_for_selector("#samples tbody tr")
    grades = _jsonl(runs_dir / "demo-strong" / "grades.jsonl")
    failed = [g for g in grades if g["status"] == "scored" and g["reward"] < 1.0]
    page.wait_for_function(f"document.getElementById('total').textContent.startsWith('{len(failed)} ')")
    verdicts = page.locator("#samples tbody tr td:nth-child(5)").all_inner_texts()
    assert verdicts and set(verdicts) == {"fail"}
    _shot(page, "run-failed")

    page.click("#samples tbody tr:first-child td:nth-child(2) a")
    page.wait_for_selector("#label-panel")
    page.wait_for_selector("body[data-ready='1']")
    first_url = page.url
    assert "pos=1" in first_url and "status=failed" in first_url
    assert page.locator("#this-run .output-text").inner_text()
    page.fill("#labeller", "ada")
    page.locator("body").click(position={"x": 5, "y": 300})  # leave the text box so the keys are shortcuts
    labelled = []
    for key in ("p", "f", "s"):
        page.wait_for_selector("body[data-ready='1']")
        item = page.locator(".sample-head h1").inner_text().split(" #")[0]
        labelled.append(item)
        if key == "s":
            page.keyboard.press("s")
            page.keyboard.type("0.4")
            page.keyboard.press("Enter")
        else:
            page.keyboard.press(key)
        page.wait_for_selector("#label-saved")
        if key != "s":
            with page.expect_navigation():
                page.keyboard.press("j")
    rows = _jsonl(runs_dir / "demo-strong" / "labels.jsonl")
    assert [r["verdict"] for r in rows] == ["pass", "fail", 0.4]
    assert all(r["labeller"] == "ada" for r in rows)
    assert "pos=3" in page.url
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert "0.40 (ada)" in page.locator("#label-list").inner_text()
    _shot(page, "sample-labelled")

    # the run page shows the three labels after a reload
    _open(page, server + "/runs/demo-strong?labelled=yes")
    page.wait_for_selector("#samples tbody tr")
    assert page.locator("#samples tbody tr").count() == 3
    assert sorted(page.locator("#samples tbody tr td:last-child").all_inner_texts()) == [
        "0.40 (ada)",
        "fail (ada)",
        "pass (ada)",
    ]
    page.click("#make-cases")
    page.wait_for_selector("#cases-box .ok")
    assert page.locator("#cases-box .ok").inner_text().startswith("3 cases written to ")
    assert (runs_dir / "demo-strong" / "golden_cases.yaml").exists()

    # compare with the baseline: the same item's sample in demo-base, side by side
    target = failed[0]
    _open(page, server + f"/runs/demo-strong/samples/{target['item_id']}/{target['sample_index']}")
    base_samples = _jsonl(runs_dir / "demo-base" / "samples.jsonl")
    base = next(
        s for s in base_samples if (s["item_id"], s["sample_index"]) == (target["item_id"], target["sample_index"])
    )
    assert page.locator("#baseline h2").inner_text() == "Baseline: demo-base"
    assert page.locator("#baseline .output-text").inner_text() == base["output_text"]
    assert page.locator("#this-run .reward").inner_text() == f"{target['reward']:.4f}"
    _shot(page, "sample-vs-baseline")
    assert not seen.errors, seen.errors
    assert not [text for kind, text in seen.console if kind == "error"], seen.console
    assert all(url.startswith(server) for url in seen.requests), seen.requests


def test_hostile_outputs_are_text_and_run_nothing(server: str, browser: Any) -> None:
    page, seen = _page(browser)
    _open(page, server + "/runs/hostile-run")
    page.wait_for_selector("#samples tbody tr")
    assert SCRIPT[:40] in page.locator("#samples").inner_text()  # the item template and output snippet, as text
    _open(page, server + "/runs/hostile-run/samples/hostile-1/0")
    output = page.locator("#this-run .output-text").inner_text()
    assert output == HOSTILE_OUTPUT
    text = page.locator("main").inner_text()
    assert "The judge quotes the output: " + SCRIPT in text
    _shot(page, "hostile")
    _open(page, server + f"/runs/hostile-run/samples/{quote(HOSTILE_ITEM, safe='')}/0")
    assert HOSTILE_ITEM in page.locator(".sample-head h1").inner_text()
    assert f"boom {IMG}" in page.locator(".error-box").inner_text()
    page.wait_for_timeout(300)  # give a payload's onerror or fetch the time it would need

    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.scripts.length") == 1  # /static/app.js only
    assert page.evaluate("document.querySelectorAll('img, iframe, svg, style, object, embed').length") == 0
    # the Content-Security-Policy is live: a script element added at run time is refused
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; "
        "document.body.append(s); }"
    )
    page.wait_for_timeout(100)
    assert page.evaluate("window.__inline") is None
    assert any("Content Security Policy" in text for _, text in seen.console), seen.console
    assert not seen.errors, seen.errors
    allowed = ("/runs/", "/api/runs", "/static/app.js", "/static/style.css", "/favicon.ico")
    for url in seen.requests:
        assert url.startswith(server), url
        assert any(part in url for part in allowed), url
    assert not any("127.0.0.1:9/" in url or url.endswith("/x") for url in seen.requests)


def test_agentic_trajectory_renders_as_a_timeline(server: str, browser: Any) -> None:
    page, seen = _page(browser)
    _open(page, server + "/runs/agent-run/samples/refund-1/0")
    turns = page.locator("#this-run ol.timeline > li")
    assert turns.count() == 3
    assert page.locator("#this-run .call .tool").all_inner_texts() == ["lookup_order", "issue_refund"]
    results = page.locator("#this-run .call .result").all_inner_texts()
    assert "delivered" in results[0] and "REF-7" in results[1]
    assert '"order_id": 42' in page.locator("#this-run .call .args").first.inner_text()
    assert "stop reason: final_answer · turns: 3" in page.locator("#trajectory").inner_text()
    assert "REF-7" in page.locator("#trajectory details").inner_text()  # the final state
    assert "without asking for a photo" in page.locator(".rationale").inner_text()
    _shot(page, "trajectory")
    _open(page, server + "/runs/agent-run/samples/code-1/0")
    assert "1 of 2 passed" in page.locator("#this-run").inner_text()
    assert "add(2, 3) == 5" in page.locator("table.tests").inner_text()
    _shot(page, "code-tests")
    assert not seen.errors, seen.errors
