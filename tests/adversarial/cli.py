"""Running the real ``rft`` command line in a subprocess, and reading what it wrote strictly."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
_SURROGATE = re.compile("[\ud800-\udfff]")


def rft(
    *args: str | Path, cwd: Path, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m rft_kit ARGS`` with this checkout first on the path; stdout and stderr captured as text."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "RFT_KIT_CACHE": str(cwd / ".cache"), **(env or {})}
    full_env.pop("OPENAI_BASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "rft_kit", *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="strict",
        timeout=timeout,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]


def strict_jsonl(path: Path) -> list[Any]:
    """The records of ``path``, which must be strict UTF-8 and strict JSON (no NaN, no lone surrogate escapes)."""
    text = path.read_bytes().decode("utf-8")  # raises on anything UTF-8 cannot carry
    records = []
    for line in text.splitlines():
        value = json.loads(line, parse_constant=_refuse)
        assert _SURROGATE.search(json.dumps(value, ensure_ascii=False)) is None, line
        records.append(value)
    return records


def _refuse(name: str) -> Any:
    raise AssertionError(f"{name} is not JSON")


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
