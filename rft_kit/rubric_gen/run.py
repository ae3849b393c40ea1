"""The ``rft rubric generate`` pipeline: write, filter, self-check, and report.

For each row of TASKS: the material is the row's reference answer (``--from reference``, field
``reference_answer``) or source document (``--from document``, field ``document``); the writer model writes a rubric
(:mod:`.writer`); the filters remove malformed, duplicate and vague criteria (:mod:`.filters`); then a
``rubric_judge`` (batched mode, the judge model) scores two answers against the filtered rubric:

* the reference answer itself (with ``--from document``: the row's reference answer when it has one, else the
  document) must score at least ``min_reference`` (default 0.8);
* a deliberately degraded answer, :func:`degrade`, must score at most ``max_degraded`` (default 0.4).

Rows that pass are written to OUT with ``rubric`` (criteria ``{criterion, points, category, tags}``, readable by
``rubric_judge`` through ``rubric_from: "{{item.rubric}}"``) and ``rubric_meta`` (writer model, self-check
scores). Every other row is dropped, with its reason, in the report (``OUT`` + ``.report.json``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ..errors import GradeFailure, InputError
from ..graders.loading import build_grader
from ..graders.ranking_judge import task_text
from ..io.jsonl import JsonlWriter, iter_jsonl
from ..judge.engine import EngineSettings
from ..judge.ledger import Ledger
from ..judge.runner import engine_for, run
from .filters import filter_rubric
from .writer import Source, read_rubric, rubric_request

__all__ = ["RubricReport", "degrade", "generate_rubrics"]

FIELDS: Final[dict[str, str]] = {"reference": "reference_answer", "document": "document"}
_SENTENCE: Final = re.compile(r"[^.!?\n]+[.!?]?")


def degrade(reference: str) -> str:
    """The deliberately degraded answer of the self-check: the first half of the reference's first sentence.

    It keeps the topic (so a rubric that only checks the topic is caught) and loses almost every fact.
    """
    first = next((s.strip() for s in _SENTENCE.findall(reference) if s.strip()), "")
    words = first.split()
    return " ".join(words[: max(1, len(words) // 2)])


@dataclass
class RubricReport:
    """What ``generate_rubrics`` did (JSON-ready with :meth:`to_dict`)."""

    rows: int = 0
    written: int = 0
    dropped: list[dict[str, Any]] = field(default_factory=list)
    removed_criteria: int = 0
    writer_tokens: int = 0
    judge_tokens: int = 0
    output: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "written": self.written,
            "dropped": self.dropped,
            "removed_criteria": self.removed_criteria,
            "writer_tokens": self.writer_tokens,
            "judge_tokens": self.judge_tokens,
            "output": self.output,
        }


def _read(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in iter_jsonl(path):
        if line.error is not None:
            raise line.error
        if not isinstance(line.value, dict):
            raise InputError("each row must be a JSON object", source=str(path), line=line.number)
        rows.append(line.value)
    return rows


def generate_rubrics(
    tasks: str | Path,
    output: str | Path,
    *,
    model: str,
    source: Source = "reference",
    judge_model: str | None = None,
    base_url: str = "local",
    field_name: str | None = None,
    min_reference: float = 0.8,
    max_degraded: float = 0.4,
    concurrency: int = 8,
) -> RubricReport:
    """Run the pipeline of the module docstring; returns the report (also written next to ``output``).

    Raises:
        InputError: TASKS cannot be read.
    """
    rows = _read(Path(tasks))
    key = field_name or FIELDS[source]
    report = RubricReport(rows=len(rows), output=str(output))
    ledger = Ledger()
    engine = engine_for(EngineSettings(base_url=base_url, concurrency=concurrency))
    wanted: list[tuple[int, dict[str, Any], str]] = []
    for n, row in enumerate(rows):
        material = row.get(key)
        if not isinstance(material, str) or not material.strip():
            report.dropped.append(_drop(n, row, f"no {key!r} text in the row"))
            continue
        wanted.append((n, row, material))
    requests = [rubric_request(model, task_text(row), material, source, {}) for _, row, material in wanted]
    outcomes = run(engine.complete_many(requests, ledger=ledger, cache="off")) if requests else []
    report.writer_tokens = ledger.snapshot()["tokens"]

    candidates: list[tuple[int, dict[str, Any], list[dict[str, Any]], str]] = []
    for (n, row, material), outcome in zip(wanted, outcomes, strict=True):
        if isinstance(outcome, GradeFailure):
            report.dropped.append(_drop(n, row, f"writer call failed: {outcome.message}"))
            continue
        try:
            raw = read_rubric(outcome)
        except ValueError as exc:
            report.dropped.append(_drop(n, row, str(exc)))
            continue
        filtered = filter_rubric(raw)
        report.removed_criteria += len(filtered.removed)
        if filtered.failure is not None:
            report.dropped.append(_drop(n, row, filtered.failure, removed=filtered.removed))
            continue
        reference = row.get(FIELDS["reference"])
        # the answer that must score high: the reference answer, else (--from document) the document itself
        high = reference if isinstance(reference, str) and reference.strip() else material
        candidates.append((n, row, filtered.kept, high))

    scores = _self_check(candidates, judge_model or model, base_url, concurrency)
    judge_tokens, checked = scores
    report.judge_tokens = judge_tokens
    Path(output).unlink(missing_ok=True)  # OUT is rewritten as a whole: it must match its report
    with JsonlWriter(Path(output)) as writer:
        for (n, row, rubric, _), (ref_score, bad_score, problem) in zip(candidates, checked, strict=True):
            reason = problem
            if reason is None and ref_score is not None and ref_score < min_reference:
                reason = (
                    f"self-check: the reference answer scores {ref_score:.3g} against its rubric (< {min_reference:g})"
                )
            if reason is None and bad_score is not None and bad_score > max_degraded:
                reason = (
                    f"self-check: a degraded answer scores {bad_score:.3g} (> {max_degraded:g}); "
                    "the rubric does not discriminate"
                )
            if reason is not None:
                report.dropped.append(_drop(n, row, reason))
                continue
            meta = {
                "writer_model": model,
                "from": source,
                "criteria": len(rubric),
                "reference_score": ref_score,
                "degraded_score": bad_score,
                "simulated": any("SIMULATED" in str(c.get("source", "")) for c in rubric),
            }
            writer.write_many([{**row, "rubric": rubric, "rubric_meta": meta}])
            report.written += 1
    Path(f"{output}.report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return report


def _self_check(
    candidates: Sequence[tuple[int, dict[str, Any], list[dict[str, Any]], str]],
    judge_model: str,
    base_url: str,
    concurrency: int,
) -> tuple[int, list[tuple[float | None, float | None, str | None]]]:
    """``(judge tokens, [(reference score, degraded score, problem)])`` per candidate row."""
    grader = build_grader(
        {
            "type": "rubric_judge",
            "name": "rubric_self_check",
            "model": judge_model,
            "rubric_from": "{{item.rubric}}",
            "input": [{"role": "user", "content": "{{item.question}}"}],
            "mode": "batched",
            "rft_options": {"base_url": base_url, "cache": False, "concurrency": concurrency},
        }
    )
    samples: list[str] = []
    items: list[Mapping[str, Any]] = []
    for _, row, rubric, reference in candidates:
        item = {"question": task_text(row), "rubric": rubric}
        samples += [reference, degrade(reference)]
        items += [item, item]
    results = grader.grade_batch(samples, items) if samples else []
    out: list[tuple[float | None, float | None, str | None]] = []
    for k in range(len(candidates)):
        ref, bad = results[2 * k], results[2 * k + 1]
        problem = next((f"self-check judge error: {r.error.message}" for r in (ref, bad) if r.error is not None), None)
        out.append((ref.reward if ref.ok else None, bad.reward if bad.ok else None, problem))
    tokens = grader.ledger.snapshot()["tokens"] if hasattr(grader, "ledger") else 0
    return int(tokens), out


def _drop(n: int, row: Mapping[str, Any], reason: str, **extra: Any) -> dict[str, Any]:
    return {"row": n + 1, "id": row.get("id"), "reason": reason, **extra}
