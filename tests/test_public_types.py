"""The public surface: every name in ``rft_kit.__all__`` has its real type for mypy; ``import rft_kit`` stays cheap."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import rft_kit

ROOT = Path(__file__).resolve().parents[1]


def test_import_rft_kit_loads_neither_openai_nor_numpy() -> None:
    code = (
        "import sys, rft_kit\n"
        "heavy = [m for m in ('openai', 'numpy', 'httpx', 'httpx2', 'rft_kit.local_openai', 'rft_kit.sampling') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""
    # ...and the lazy names still resolve when used
    assert rft_kit.sample.__module__ == "rft_kit.sampling.sampler"
    assert rft_kit.SamplingParams.__name__ == "SamplingParams"


def _usage_file(path: Path) -> Path:
    lines = ["import rft_kit", ""]
    lines += [f"reveal_type(rft_kit.{name})" for name in rft_kit.__all__]
    # a few real uses, so that a wrong signature (not just a missing type) fails too
    lines += [
        "",
        "def use(grader: rft_kit.Grader, params: rft_kit.SamplingParams) -> float:",
        "    summary = rft_kit.sample([], 'out.jsonl', params)",
        "    graded: rft_kit.GradeSummary = rft_kit.grade(grader, 'samples.jsonl', 'items.jsonl')",
        "    result: rft_kit.GradeResult = grader.grade('42', {'answer': '42'})",
        "    return result.reward + summary.written + graded.mean_reward",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_every_public_name_has_a_real_type_for_mypy(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    usage = _usage_file(tmp_path / "uses_rft_kit.py")
    stdout, stderr, _ = api.run(
        [
            "--strict",
            "--python-version",
            "3.11",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--no-error-summary",
            str(usage),
        ]
    )
    revealed = dict(
        zip(
            rft_kit.__all__,
            re.findall(r"uses_rft_kit\.py:\d+: note: Revealed type is \"(.*)\"", stdout),
            strict=False,
        )
    )
    assert len(revealed) == len(rft_kit.__all__), stdout + stderr
    loose = {name: kind for name, kind in revealed.items() if kind in ("Any", "object", "builtins.object")}
    assert not loose, f"public names typed object/Any: {loose}"
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert not errors, "\n".join(errors)
