"""report.html in headless Chromium: the plots and tables render, and the page requests nothing from the network.

Chromium logs every request to a net log (``--log-net-log``). Requests the *page* makes carry its origin as
``initiator`` (``null`` for a file:// page); the browser's own background requests (update checks, which no flag
fully silences) have ``initiator: "not an origin"``. Host resolution is mapped to NOTFOUND, so nothing leaves the
machine either way. The control tests show the check catches a page that does fetch something.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rft_kit.report import make_report, write_report
from rft_kit.runs.demo import run_demo

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (scripts/setup.sh installs it)"),
]


def _chromium(page: Path, tmp_path: Path, *extra: str) -> tuple[str, list[dict[str, Any]]]:
    """Open ``page``; return stdout and the net log's events."""
    net_log = tmp_path / f"net-{len(list(tmp_path.glob('net-*')))}.json"
    profile = tmp_path / f"profile-{net_log.stem}"
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--log-net-log={net_log}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text = net_log.read_text()
    try:
        log = json.loads(text)
    except ValueError:  # a log cut short still holds whole events up to its last comma
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    return result.stdout, log["events"] if "constants" not in log else _named(log)


def _named(log: dict[str, Any]) -> list[dict[str, Any]]:
    names = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    return [{**event, "type": names.get(event["type"], event["type"])} for event in log["events"]]


def page_requests(events: list[dict[str, Any]]) -> list[str]:
    """Network URLs the page itself asked for (not the browser's own background requests)."""
    urls = []
    for event in events:
        params = event.get("params") or {}
        url = str(params.get("url", ""))
        if event["type"] != "URL_REQUEST_START_JOB" or not re.match(r"(https?|wss?|ftp):", url):
            continue
        if params.get("initiator") != "not an origin":
            urls.append(url)
    return urls


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    result = run_demo(runs, items=12, samples=4)
    return result.strong.folder.report_files[0]


def test_report_renders_offline_with_plots_and_tables(report_page: Path, tmp_path: Path) -> None:
    dom, events = _chromium(report_page, tmp_path, "--dump-dom")
    assert len(re.findall(r"<svg\b", dom)) >= 6
    assert len(re.findall(r"<table\b", dom)) >= 8
    assert 'data-chart="histogram"' in dom and 'data-chart="intervals"' in dom
    assert "Against the baseline" in dom and "SIMULATED" in dom
    assert any(e["type"] == "URL_REQUEST_START_JOB" for e in events)  # the net log did record requests
    assert page_requests(events) == []


def test_screenshot_artifact(report_page: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    _, events = _chromium(report_page, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.exists() and shot.stat().st_size > 30_000  # a blank page compresses to a few KB
    assert page_requests(events) == []


def test_control_a_page_that_fetches_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "fetches.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://example.com/pixel.png"><p>x</p></body></html>')
    _, events = _chromium(page, tmp_path, "--dump-dom")
    assert page_requests(events) == ["http://example.com/pixel.png"]


def test_control_the_report_policy_blocks_a_stray_fetch(report_page: Path, tmp_path: Path) -> None:
    # the same stray image inside the report is refused by its Content-Security-Policy before any request
    page = tmp_path / "report-with-image.html"
    html = report_page.read_text().replace("<body>", '<body><img src="http://example.com/pixel.png">', 1)
    page.write_text(html)
    _, events = _chromium(page, tmp_path, "--dump-dom")
    assert page_requests(events) == []


def test_report_without_baseline_renders(report_page: Path, tmp_path: Path) -> None:
    html, _, _ = write_report(make_report(report_page.parent), tmp_path / "single" / "report.html")
    dom, events = _chromium(html, tmp_path, "--dump-dom")
    assert "Against the baseline" not in dom and len(re.findall(r"<svg\b", dom)) >= 4
    assert page_requests(events) == []
