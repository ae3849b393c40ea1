"""Render ``rft check`` results: a rich table, a JSON report, and JUnit XML for CI systems."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..io.escape import json_text
from .runner import FileReport

__all__ = ["print_reports", "write_json", "write_junit"]

_STYLE = {"pass": "green", "fail": "bold red", "skip": "yellow"}


def print_reports(reports: Sequence[FileReport], console: Console, *, verbose: bool = False) -> None:
    """One summary row per grader file, then one line per failure saying what to fix."""
    table = Table(title="rft check", header_style="bold")
    for column in ("grader file", "grader", "type", "passed", "failed", "skipped", "time"):
        numeric = column in ("passed", "failed", "skipped", "time")
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for report in reports:
        counts = {s: sum(1 for o in report.outcomes if o.status == s) for s in ("pass", "fail", "skip")}
        failed = f"[bold red]{counts['fail']}[/]" if counts["fail"] else "0"
        table.add_row(
            escape(report.path),
            escape(report.grader),
            report.grader_type,
            str(counts["pass"]),
            failed,
            str(counts["skip"]),
            f"{report.duration_s:.2f} s",
        )
    console.print(table)
    for report in reports:
        for outcome in report.outcomes:
            if outcome.status == "fail" or (verbose and outcome.status == "skip"):
                style = _STYLE[outcome.status]
                console.print(
                    f"[{style}]{outcome.status.upper()}[/] {escape(report.path)} "
                    f"{escape('[' + outcome.check + ']')} {escape(outcome.message)}",
                    highlight=False,
                    soft_wrap=True,
                )
                if outcome.fix:
                    console.print(f"     fix: {escape(outcome.fix)}", highlight=False, soft_wrap=True)


def write_json(reports: Sequence[FileReport], path: Path) -> None:
    data = {
        "passed": all(not r.failed for r in reports),
        "files": [r.to_dict() for r in reports],
    }
    path.write_text(json_text(data, indent=2) + "\n", encoding="utf-8")


def write_junit(reports: Sequence[FileReport], path: Path) -> None:
    """JUnit XML: one test suite per grader file, one test case per check."""
    suites = ET.Element("testsuites", name="rft check")
    for report in reports:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=report.path,
            tests=str(len(report.outcomes)),
            failures=str(len(report.failed)),
            skipped=str(sum(1 for o in report.outcomes if o.status == "skip")),
            time=f"{report.duration_s:.3f}",
        )
        for outcome in report.outcomes:
            case = ET.SubElement(suite, "testcase", classname=report.path, name=outcome.check)
            if outcome.status == "fail":
                failure = ET.SubElement(case, "failure", message=outcome.message[:500])
                failure.text = f"{outcome.message}\nfix: {outcome.fix}"
            elif outcome.status == "skip":
                ET.SubElement(case, "skipped", message=outcome.message)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
