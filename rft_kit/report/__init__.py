"""Iteration reports (``rft report``): one self-contained HTML file, plus Markdown and JSON (docs/architecture.md:
reports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..io.escape import json_text, safe_text
from .build import build_report
from .collect import RunData, collect_run
from .html import render_html
from .markdown import render_markdown
from .terminal import print_summary

__all__ = ["RunData", "build_report", "collect_run", "make_report", "print_summary", "write_report"]


def make_report(
    run_dir: str | Path, baseline: str | Path | None = None, *, pass_threshold: float | None = None
) -> dict[str, Any]:
    """The report dict of a run folder, compared with ``baseline`` (another run folder) when given.

    Args:
        run_dir: a run folder with ``grades.jsonl`` (and optionally run.json, tasks.jsonl, samples.jsonl).
        baseline: the previous iteration's run folder.
        pass_threshold: override the grader's ``pass_threshold`` (from run.json; default 1.0) for both runs.

    Raises:
        InputError: a folder without grades.jsonl, or an unreadable run.json.
    """
    run = collect_run(run_dir)
    base = collect_run(baseline) if baseline is not None else None
    if pass_threshold is not None:
        run.pass_threshold = pass_threshold
        if base is not None:
            base.pass_threshold = pass_threshold
    return build_report(run, base)


def write_report(report: dict[str, Any], html_path: str | Path) -> tuple[Path, Path, Path]:
    """Write ``report.html`` at ``html_path`` and ``.md`` / ``.json`` beside it; returns the three paths."""
    html_file = Path(html_path)
    html_file.parent.mkdir(parents=True, exist_ok=True)
    md_file, json_file = html_file.with_suffix(".md"), html_file.with_suffix(".json")
    html_file.write_text(safe_text(render_html(report)), encoding="utf-8")
    md_file.write_text(safe_text(render_markdown(report)), encoding="utf-8")
    json_file.write_text(json_text(report, indent=2) + "\n", encoding="utf-8")
    return html_file, md_file, json_file
