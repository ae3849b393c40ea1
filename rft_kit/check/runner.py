"""``rft check``: validate grader files the way unit tests validate code.

For every grader file found: schema and placement, the grader builds (templates and formulas compile), templates
resolve against the cases' items, every case meets its expectation, grading is deterministic (each case twice),
each grade fits the time budget, and the automatic probes of :mod:`rft_kit.check.probes` hold. Each failure comes
with a line saying what to fix.

Per-grader settings live beside ``cases`` in the grader file (stripped on export)::

    check:
      threshold: 0.5          # reward counted as a pass (default: the grader's pass_threshold, else 0.5)
      time_budget_ms: 2000    # slowest acceptable grade
      probes: {padding: false, whitespace: false}   # switch off probes a strict grader fails on purpose
      agentic: {template: support_desk, items: 3}    # agentic template graders: cases generated from the template

With ``agentic``, ``items`` rows per level of the template are generated: each oracle plan, played against the
environment, must score the maximum, and the agentic probes of :data:`rft_kit.check.probes.AGENTIC` (episodes built
by executing calls, no model) must stay below the threshold.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..errors import ConfigError, GradeFailure
from ..graders.base import Grader
from ..graders.loading import build_grader, read_grader_file
from ..graders.validate import Placement
from ..records import GradeResult, Sample
from ..templating import resolve
from .agreement import agreement_outcome, parse_agreement, parse_labelled
from .cases import Case, parse_cases
from .probes import (
    AGENTIC,
    HACKING,
    METAMORPHIC,
    SUBSTITUTION,
    SUBSTITUTIONS,
    ProbeInput,
    agentic_variants,
    hacking_variants,
    metamorphic_variants,
    referenced_values,
)

__all__ = ["CheckOutcome", "FileReport", "check_file", "check_paths", "discover"]

Status = Literal["pass", "fail", "skip"]
DEFAULT_THRESHOLD = 0.5
DEFAULT_TIME_BUDGET_MS = 2000.0
GRADER_SUFFIXES = (".yaml", ".yml", ".json")
_CHECK_KEYS = {"threshold", "time_budget_ms", "probes", "agentic", "agreement"}
DEFAULT_AGENTIC_ITEMS = 3


@dataclass
class CheckOutcome:
    """One check on one grader file."""

    check: str
    status: Status
    message: str = ""
    fix: str = ""


@dataclass
class FileReport:
    """Every check run on one grader file."""

    path: str
    grader: str = ""
    grader_type: str = ""
    outcomes: list[CheckOutcome] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def failed(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.status == "fail"]

    def add(self, check: str, status: Status, message: str = "", fix: str = "") -> None:
        self.outcomes.append(CheckOutcome(check, status, message, fix))

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "grader": self.grader,
            "type": self.grader_type,
            "passed": not self.failed,
            "duration_s": round(self.duration_s, 3),
            "checks": [asdict(o) for o in self.outcomes],
        }


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Grader files under ``paths``: the files given, and every .yaml/.yml/.json file in the directories given
    whose top level is an object with a ``type`` (other YAML/JSON files in the tree are not graders)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in sorted(p for p in path.rglob("*") if p.suffix.lower() in GRADER_SUFFIXES):
                if _looks_like_grader(candidate):
                    found.append(candidate)
        else:
            found.append(path)
    return found


def _looks_like_grader(path: Path) -> bool:
    try:
        value = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return True  # let check_file report the unreadable file
    return isinstance(value, Mapping) and "type" in value


@dataclass(frozen=True)
class _Settings:
    threshold: float
    time_budget_ms: float
    probes: Mapping[str, bool]
    agentic: Mapping[str, Any] | None = None

    def enabled(self, probe: str) -> bool:
        return bool(self.probes.get(probe, True))


def _settings(raw: Any, grader_config: Mapping[str, Any]) -> _Settings:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError("check must be an object {threshold, time_budget_ms, probes}", path="check")
    unknown = set(raw) - _CHECK_KEYS
    if unknown:
        allowed = ", ".join(sorted(_CHECK_KEYS))
        raise ConfigError(f"unknown key {sorted(unknown)[0]!r}; allowed: {allowed}", path="check")
    probes = raw.get("probes") or {}
    known = {*METAMORPHIC, *HACKING, *SUBSTITUTION, *AGENTIC}
    if not isinstance(probes, Mapping) or not all(isinstance(v, bool) for v in probes.values()):
        raise ConfigError("probes must map probe names to true/false", path="check.probes")
    for name in probes:
        if name not in known:
            raise ConfigError(f"unknown probe {name!r}; probes: {', '.join(sorted(known))}", path="check.probes")
    threshold = raw.get("threshold", grader_config.get("pass_threshold", DEFAULT_THRESHOLD))
    budget = raw.get("time_budget_ms", DEFAULT_TIME_BUDGET_MS)
    if not isinstance(threshold, int | float) or not isinstance(budget, int | float) or budget <= 0:
        raise ConfigError("threshold must be a number and time_budget_ms a positive number", path="check")
    agentic = raw.get("agentic")
    if agentic is not None and (
        not isinstance(agentic, Mapping)
        or not isinstance(agentic.get("template"), str)
        or not isinstance(agentic.get("items", DEFAULT_AGENTIC_ITEMS), int)
        or set(agentic) - {"template", "items"}
    ):
        raise ConfigError("agentic must be {template: <agentic template name>, items: <rows per level>}", path="check")
    return _Settings(float(threshold), float(budget), dict(probes), agentic)


def _sample_of(case: Case) -> Sample:
    return Sample.from_obj(case.sample)


def _fmt(result: GradeResult) -> str:
    if result.status == "error" and result.error is not None:
        return f"error {result.error.kind} ({result.error.message[:120]})"
    return f"{result.reward:.4g}"


def check_file(path: str | Path, *, placement: Placement = "rft", probes: bool = True) -> FileReport:
    """Run every check on one grader file."""
    start = time.perf_counter()
    report = FileReport(str(path))
    try:
        file = read_grader_file(path, placement=placement)
        report.grader = str(file.config.get("name", ""))
        report.grader_type = str(file.config.get("type", ""))
        report.add("schema", "pass")
        grader = build_grader(file.config, source=file.source)
        report.add("build", "pass")
        settings = _settings(file.extras.get("check"), file.config)
        cases = parse_cases(file.extras.get("cases", []), source=str(path))
        labelled = parse_labelled(file.extras.get("cases", []), source=str(path))
        agreement = parse_agreement((file.extras.get("check") or {}).get("agreement"))
        if agreement is not None and not labelled:
            raise ConfigError(
                "check.agreement needs cases with a human label (label: instead of expect:)", path="check"
            )
    except ConfigError as exc:
        report.add("config", "fail", str(exc), "fix the grader file as the message says")
        report.duration_s = time.perf_counter() - start
        return report
    except Exception as exc:  # a missing dependency or a bug must show up as a failed check, not a crash
        report.add("config", "fail", f"{type(exc).__name__}: {exc}", "see the message")
        report.duration_s = time.perf_counter() - start
        return report

    if settings.agentic is not None:
        _check_agentic(report, grader, settings, probes=probes)
    if labelled:
        status, message, fix = agreement_outcome(grader, labelled, agreement, settings.threshold)
        report.add("agreement", status, message, fix)
    if not cases and not labelled and settings.agentic is None:
        report.add(
            "cases",
            "fail",
            "the grader has no cases",
            "add must-pass and must-fail cases: cases: [{item: {...}, sample: '...', expect: 1.0}, ...]",
        )
    elif cases:
        _check_templates(report, grader, cases)
        passing = _check_cases(report, grader, cases, settings)
        if probes:
            _check_probes(report, grader, cases, passing, settings)
    report.duration_s = time.perf_counter() - start
    return report


def _check_templates(report: FileReport, grader: Grader, cases: Sequence[Case]) -> None:
    problems = []
    for case in cases:
        if case.expect.error in ("template", "invalid_variable_error"):
            continue  # the case exists to show that a missing field is an error
        for template in grader.templates:
            for ref in template.refs:
                if ref.namespace != "item":
                    continue
                try:
                    resolve(ref, {"item": case.item, "sample": {}}, template.options)
                except GradeFailure as failure:
                    problems.append(f"{case.label}: {failure.message}")
    if problems:
        report.add(
            "templates",
            "fail",
            "; ".join(dict.fromkeys(problems)),
            "add the field to the case's item, or fix the template path",
        )
    else:
        report.add("templates", "pass")


def _check_cases(report: FileReport, grader: Grader, cases: Sequence[Case], settings: _Settings) -> list[Case]:
    """Run each case twice; returns the must-pass cases that did pass (the seeds of the probes)."""
    passing = []
    slowest = (0.0, "")
    for case in cases:
        sample = _sample_of(case)
        first = grader.grade(sample, case.item)
        second = grader.grade(sample, case.item)
        for result in (first, second):
            if result.duration_ms > slowest[0]:
                slowest = (result.duration_ms, case.label)
        if case.expect.holds(first):
            report.add(f"{case.label}", "pass")
            if case.expect.expects_pass(settings.threshold) and first.reward >= settings.threshold:
                passing.append(case)
        else:
            report.add(
                f"{case.label}",
                "fail",
                f"expected {case.expect.describe()}, got {_fmt(first)}",
                "fix the grader (or the case, if the expectation was wrong)",
            )
        same = (first.reward, first.status, first.error and first.error.kind) == (
            second.reward,
            second.status,
            second.error and second.error.kind,
        )
        if not same:
            report.add(
                f"determinism {case.label}",
                "fail",
                f"two grades of the same pair differ: {_fmt(first)} then {_fmt(second)}",
                "remove randomness from the grader (judge temperature 0 and a seed, no time-dependent code)",
            )
    if not any(o.check.startswith("determinism ") for o in report.outcomes):
        report.add("determinism", "pass")
    if slowest[0] > settings.time_budget_ms:
        report.add(
            "time budget",
            "fail",
            f"{slowest[1]} took {slowest[0]:.0f} ms (budget {settings.time_budget_ms:.0f} ms)",
            "make the grader faster or raise check.time_budget_ms",
        )
    else:
        report.add("time budget", "pass", f"slowest grade {slowest[0]:.1f} ms")
    return passing


def _check_probes(
    report: FileReport, grader: Grader, cases: Sequence[Case], passing: Sequence[Case], settings: _Settings
) -> None:
    if not passing:
        report.add("probes", "skip", "no must-pass case scored high, so no probe could be derived")
        return
    references = referenced_values(grader.templates, [c.item for c in cases])
    labels = [str(label) for g in _leaves(grader) for label in g.to_config().get("labels", [])]
    passing_labels = [str(label) for g in _leaves(grader) for label in g.to_config().get("passing_labels", [])]
    failures: dict[str, str] = {}
    ran: set[str] = set()
    for case in passing:
        if isinstance(case.sample, str):  # rewriting a sample object's text could break its output_json on purpose
            for name, variant in metamorphic_variants(case.sample).items():
                if name in failures or not settings.enabled(name):
                    continue
                ran.add(name)
                result = grader.grade(variant, case.item)
                if result.status == "error" or result.reward < settings.threshold:
                    failures[name] = f"{case.label} scores high, but this variant scored {_fmt(result)}"
        text = case.sample if isinstance(case.sample, str) else str(case.sample.get("output_text", ""))
        own = referenced_values(grader.templates, [case.item])
        probe_input = ProbeInput(text, case.item, own, references, labels, passing_labels)
        for name, variant in hacking_variants(probe_input).items():
            if name in failures or not settings.enabled(name):
                continue
            ran.add(name)
            result = grader.grade(variant, case.item)
            if result.status == "scored" and result.reward >= settings.threshold:
                failures[name] = f"built from {case.label}, it scored {_fmt(result)} (threshold {settings.threshold:g})"
        _substitution_probes(grader, case, settings, ran, failures)
    for name, probe in {**METAMORPHIC, **HACKING, **SUBSTITUTION}.items():
        if not settings.enabled(name):
            report.add(f"probe {name}", "skip", "switched off in check.probes")
        elif name not in ran:
            report.add(f"probe {name}", "skip", "no case to build it from (text samples and item prompts)")
        elif name in failures:
            report.add(
                f"probe {name}",
                "fail",
                f"{probe.meaning}: {failures[name]}",
                f"{probe.fix}; if the strictness is intended, set check.probes.{name}: false",
            )
        else:
            report.add(f"probe {name}", "pass")


def _substitution_probes(
    grader: Grader, case: Case, settings: _Settings, ran: set[str], failures: dict[str, str]
) -> None:
    """Put each substitution's reference where the case spells its own answer, check the control still passes,
    then grade the near miss."""
    if not isinstance(case.sample, str):
        return
    for path, value in _answer_fields(grader, case):
        if not value.strip() or value not in case.sample:
            continue
        for name, sub in SUBSTITUTIONS.items():
            if name in failures or not settings.enabled(name):
                continue
            item = _with_value(case.item, path, sub.reference)
            control = grader.grade(case.sample.replace(value, sub.reference), item)
            if control.status != "scored" or control.reward < settings.threshold:
                continue  # this case cannot carry such a reference; no verdict from it
            ran.add(name)
            result = grader.grade(case.sample.replace(value, sub.wrong), item)
            if result.status == "scored" and result.reward >= settings.threshold:
                failures[name] = (
                    f"built from {case.label} with reference {sub.reference!r}, the answer {sub.wrong!r} "
                    f"scored {_fmt(result)} (threshold {settings.threshold:g})"
                )


def _answer_fields(grader: Grader, case: Case) -> list[tuple[list[str], str]]:
    """The item fields (path, string value) the grader's templates read; for graders without templates (python),
    every top-level string field but the prompt."""
    refs = [(t, r) for t in grader.templates for r in t.refs if r.namespace == "item"]
    if not refs:
        return [([k], v) for k, v in case.item.items() if isinstance(v, str) and k != "messages"]
    out = []
    for template, ref in refs:
        if not ref.path or not all(isinstance(seg, str) for seg in ref.path):
            continue
        try:
            value = resolve(ref, {"item": case.item, "sample": {}}, template.options)
        except GradeFailure:
            continue
        if isinstance(value, str):
            out.append(([str(seg) for seg in ref.path], value))
    return out


def _with_value(item: Mapping[str, Any], path: Sequence[str], value: str) -> dict[str, Any]:
    """A copy of ``item`` with the string at ``path`` replaced (dicts along the path copied, nothing else shared)."""
    out = dict(item)
    if len(path) == 1:
        out[path[0]] = value
    else:
        inner = out.get(path[0])
        out[path[0]] = _with_value(inner if isinstance(inner, Mapping) else {}, path[1:], value)
    return out


def _check_agentic(report: FileReport, grader: Grader, settings: _Settings, *, probes: bool) -> None:
    """Oracle episodes of generated rows must score the maximum; the agentic probes must stay below the threshold."""
    from ..tasks import generate, get_template

    assert settings.agentic is not None
    name = str(settings.agentic["template"])
    count = int(settings.agentic.get("items", DEFAULT_AGENTIC_ITEMS))
    try:
        template = get_template(name)
        if getattr(template, "kind", "") != "agentic":
            raise ConfigError(f"template {name!r} is not an agentic template", path="check.agentic.template")
        items = [i for level in template.levels for i in generate(template, count, seed=0, difficulty=level)]
    except ConfigError as exc:
        report.add("agentic", "fail", str(exc), "name an agentic template (rft templates --json shows the kind)")
        return
    short = []
    slowest = 0.0
    for item in items:
        result = grader.grade(template.reference_sample(item), item)
        slowest = max(slowest, result.duration_ms)
        if result.status != "scored" or result.reward < 1.0:
            short.append(f"{item['id']}: {_fmt(result)}")
    if short:
        report.add(
            "agentic oracle",
            "fail",
            f"oracle episodes fall short of 1.0: {'; '.join(short[:3])}",
            "the grader and the template disagree: fix whichever is wrong",
        )
    else:
        report.add("agentic oracle", "pass", f"{len(items)} oracle episodes score 1.0 (slowest {slowest:.1f} ms)")
    if not probes:
        return
    failures: dict[str, str] = {}
    ran: set[str] = set()
    for item in items:
        for probe, sample in agentic_variants(item).items():
            if probe in failures or not settings.enabled(probe):
                continue
            ran.add(probe)
            result = grader.grade(sample, item)
            if result.status == "scored" and result.reward >= settings.threshold:
                failures[probe] = (
                    f"built from {item['id']}, it scored {_fmt(result)} (threshold {settings.threshold:g})"
                )
    for probe_name, info in AGENTIC.items():
        if not settings.enabled(probe_name):
            report.add(f"probe {probe_name}", "skip", "switched off in check.probes")
        elif probe_name not in ran:
            report.add(f"probe {probe_name}", "skip", "no item to build it from (policy_violation missing)")
        elif probe_name in failures:
            report.add(
                f"probe {probe_name}",
                "fail",
                f"{info.meaning}: {failures[probe_name]}",
                f"{info.fix}; if the leniency is intended, set check.probes.{probe_name}: false",
            )
        else:
            report.add(f"probe {probe_name}", "pass")


def _leaves(grader: Grader) -> list[Grader]:
    subs = getattr(grader, "graders", None)
    if isinstance(subs, Mapping):
        return [g for sub in subs.values() for g in _leaves(sub)]
    return [grader]


def check_paths(paths: Iterable[str | Path], *, placement: Placement = "rft", probes: bool = True) -> list[FileReport]:
    """Check every grader file under ``paths``."""
    return [check_file(p, placement=placement, probes=probes) for p in discover(paths)]
