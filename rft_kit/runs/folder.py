"""A run folder (docs/architecture.md: records and run folders): the files of one iteration and ``run.json``, the
record of what produced them.

``run.json`` holds the task source, the grader config and its hash, the model and sampling parameters, the rft-kit
version, and per stage its status, timestamps, a hash of its inputs and a summary. It is rewritten atomically
(write a temporary file, then rename), so a killed run never leaves it half written.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from .._version import __version__
from ..errors import InputError
from ..io.escape import json_text

__all__ = ["STAGES", "RunFolder", "file_sha256", "json_sha256", "now_iso"]

STAGES: Final = ("tasks", "samples", "grades", "report")
"""The pipeline's stages, in order; each writes the file (or files) of the same name."""


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (streamed)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_sha256(value: Any) -> str:
    """SHA-256 of a value's canonical JSON (sorted keys), so equal configs hash equal whatever their key order."""
    text = json_text(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RunFolder:
    """``runs/<name>/``: paths of its files and read/write access to ``run.json``.

    Args:
        path: the folder (created on first save).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def run_json(self) -> Path:
        return self.path / "run.json"

    @property
    def tasks(self) -> Path:
        return self.path / "tasks.jsonl"

    @property
    def samples(self) -> Path:
        return self.path / "samples.jsonl"

    @property
    def grades(self) -> Path:
        return self.path / "grades.jsonl"

    @property
    def report_files(self) -> tuple[Path, Path, Path]:
        """``report.html``, ``report.md``, ``report.json``."""
        return self.path / "report.html", self.path / "report.md", self.path / "report.json"

    def stage_outputs(self, stage: str) -> tuple[Path, ...]:
        """The files a stage writes."""
        if stage == "report":
            return self.report_files
        return (self.path / f"{stage}.jsonl",)

    def exists(self) -> bool:
        return self.run_json.exists()

    def load(self) -> dict[str, Any]:
        """``run.json`` (an empty record for a new folder).

        Raises:
            InputError: the file exists but is not a JSON object.
        """
        if not self.run_json.exists():
            return {"name": self.name, "rft_kit_version": __version__, "created_at": now_iso(), "stages": {}}
        try:
            data = json.loads(self.run_json.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(f"run.json is not valid JSON ({exc})", source=str(self.run_json)) from None
        if not isinstance(data, dict):
            raise InputError("run.json must hold a JSON object", source=str(self.run_json))
        data.setdefault("stages", {})
        return data

    def save(self, data: Mapping[str, Any]) -> None:
        """Write ``run.json`` atomically."""
        self.path.mkdir(parents=True, exist_ok=True)
        record = dict(data)
        record["updated_at"] = now_iso()
        temp = self.run_json.with_name("run.json.tmp")
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(json_text(record, indent=2, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.run_json)
