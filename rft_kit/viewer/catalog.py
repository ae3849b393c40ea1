"""The run folders under one directory, their baselines, their indexes and their reports.

A run folder is a directory with ``run.json``, ``samples.jsonl`` or ``grades.jsonl``. Run names in URLs are looked up
in this catalogue, never joined onto a path, so a request can only reach folders the directory listing shows (and
their baselines). The report shown is ``report.json`` when it is newer than ``grades.jsonl``; otherwise (a run still
grading, or never reported) it is computed with :func:`rft_kit.report.make_report` and kept for a few seconds.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import msgspec

from ..errors import RftKitError
from ..report import make_report
from .cache import load_index, save_index
from .index import RunIndex

__all__ = ["Catalog", "ReportView", "is_run_folder"]

LIVE_REPORT_TTL_S: Final = 5.0
"""How long a computed report is at least reused while its run is still being written; a report that took ``t``
seconds to compute is reused for ``LIVE_REPORT_COST_FACTOR * t`` when longer, so a large live run is not
re-reported back to back."""
LIVE_REPORT_COST_FACTOR: Final = 10.0
_MARKERS: Final = ("run.json", "samples.jsonl", "grades.jsonl")


def is_run_folder(path: Path) -> bool:
    return path.is_dir() and any((path / marker).exists() for marker in _MARKERS)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


@dataclass
class ReportView:
    """A report dict and where it came from: ``report.json``, ``live`` (computed now) or ``none`` (no grades yet)."""

    report: dict[str, Any] | None
    source: str
    error: str | None = None


@dataclass
class _CachedReport:
    key: tuple[Any, ...]
    made_at: float
    view: ReportView
    cost_s: float = 0.0


class Catalog:
    """Run folders under ``root`` (or ``root`` alone when it is itself a run folder).

    Args:
        root: the runs directory.
    """

    def __init__(self, root: str | Path, *, cache_dir: Path | None = None) -> None:
        self.root = Path(root).resolve()
        self.cache_dir = cache_dir
        self._indexes: dict[Path, RunIndex] = {}
        self._reports: dict[Path, _CachedReport] = {}

    def runs(self) -> dict[str, Path]:
        """Run name -> folder, sorted by name."""
        if is_run_folder(self.root):
            return {self.root.name: self.root}
        if not self.root.is_dir():
            return {}
        return {p.name: p for p in sorted(self.root.iterdir()) if is_run_folder(p)}

    def find(self, name: str) -> Path | None:
        return self.runs().get(name)

    def index(self, folder: Path) -> RunIndex:
        """The folder's index, refreshed (built on first use)."""
        key = folder.resolve()
        found = self._indexes.get(key)
        if found is None:
            found = self._indexes[key] = load_index(key, self.cache_dir)
        found.refresh()
        save_index(found, self.cache_dir, background=True)
        return found

    def baseline_of(self, folder: Path, meta: dict[str, Any]) -> Path | None:
        """The baseline folder named by ``run.json``: a folder of that name beside the run (runs directories get moved
        and copied whole), else in the root, else the path as written."""
        folder = folder.resolve()
        named = meta.get("baseline")
        if not isinstance(named, str) or not named:
            return None
        given = Path(named)
        candidates = [
            folder.parent / given.name,
            self.root / given.name,
            given if given.is_absolute() else Path.cwd() / given,
        ]
        for candidate in candidates:
            if is_run_folder(candidate) and candidate.resolve() != folder:
                return candidate.resolve()
        return None

    @staticmethod
    def meta(folder: Path) -> dict[str, Any]:
        """``run.json`` of a folder (empty when missing or unreadable: the listing must not fail on one bad run)."""
        try:
            data = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def name_of(self, folder: Path) -> str | None:
        """The catalogue name of a folder, or ``None`` when it is outside the root."""
        for name, path in self.runs().items():
            if path.resolve() == folder.resolve():
                return name
        return None

    def report(self, folder: Path, baseline: Path | None) -> ReportView:
        """The run's report (see the module docstring)."""
        folder = folder.resolve()
        grades = folder / "grades.jsonl"
        report_json = folder / "report.json"
        grades_stamp, report_stamp = _stamp(grades), _stamp(report_json)
        if grades_stamp is None:
            return ReportView(None, "none")
        if report_stamp is not None and report_stamp[0] >= grades_stamp[0]:
            key: tuple[Any, ...] = ("file", report_stamp)
            source = "report.json"
        else:
            key = ("live", grades_stamp, None if baseline is None else _stamp(baseline / "grades.jsonl"))
            source = "live"
        cached = self._reports.get(folder)
        now = time.monotonic()
        if cached is not None and cached.key == key:
            return cached.view
        if cached is not None and source == "live" and cached.view.source == "live":
            ttl = max(LIVE_REPORT_TTL_S, LIVE_REPORT_COST_FACTOR * cached.cost_s)
            if now - cached.made_at < ttl:
                return cached.view
        start = time.perf_counter()
        try:
            report = _read_json(report_json) if source == "report.json" else make_report(folder, baseline)
            view = ReportView(report if isinstance(report, dict) else None, source)
        except (OSError, ValueError, RftKitError) as exc:
            view = ReportView(None, source, str(exc))
        except Exception as exc:  # e.g. make_report on a hand-edited run.json: one run's report must not break the page
            view = ReportView(None, source, f"the report could not be computed ({type(exc).__name__}: {exc})")
        self._reports[folder] = _CachedReport(key, now, view, time.perf_counter() - start)
        return view


def _read_json(path: Path) -> Any:
    data = path.read_bytes()
    try:
        return msgspec.json.decode(data)  # several times faster than json on a large report
    except msgspec.MsgspecError:
        return json.loads(data)  # NaN and the like, which only json takes
