"""``regex_match`` (extension): extract the answer with a regular expression, then compare it with the reference.

The answer is the group named ``answer`` if the pattern has one, else group 1, else the whole match; with several
matches, ``occurrence`` picks the ``last`` (default: the final answer) or the ``first``. Without a ``reference`` the
reward is 1 for any match. Patterns are compiled at load (a bad pattern is a config error naming it) and matched with
the ``regex`` module's timeout, so a pathological pattern on adversarial output becomes a recorded ``timeout`` error
instead of a hung run. Exports to OpenAI as a ``python`` grader using ``re`` (same syntax; no timeout there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import regex

from ..errors import ConfigError, GradeFailure
from ..records import GradeResult, Sample
from ..templating import Template
from . import _text_norm
from .base import Grader
from .hosted_source import python_grader_config

__all__ = ["RegexMatchGrader"]

_FLAGS = {"IGNORECASE": regex.IGNORECASE, "MULTILINE": regex.MULTILINE, "DOTALL": regex.DOTALL}


class RegexMatchGrader(Grader):
    """Reward 1.0 when the extracted answer equals the reference (or, without a reference, when the pattern matches)."""

    type: ClassVar[str] = "regex_match"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        self._config.setdefault("input", "{{sample.output_text}}")
        self.input: Template = self._template("input")
        self.reference: Template | None = self._template("reference") if "reference" in self._config else None
        flags = 0
        for name in self._config.get("flags", []):
            flags |= _FLAGS[name]
        self.flag_names: list[str] = list(self._config.get("flags", []))
        source = self._config["pattern"]
        try:
            import re

            re.compile(source, flags)  # the exported grader uses re: the pattern must mean the same there
            self.pattern = regex.compile(source, flags | regex.V0)
        except (re.error, regex.error) as exc:
            field = f"{path}.pattern" if path else "pattern"
            raise ConfigError(f"invalid regular expression {source!r}: {exc}", path=field) from None
        self.fullmatch: bool = self._config.get("mode", "search") == "fullmatch"
        self.last: bool = self._config.get("occurrence", "last") == "last"
        self.compare: str = self._config.get("compare", "exact")
        self.timeout_s: float = self._config.get("timeout_ms", 1000) / 1000.0

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.input,) if self.reference is None else (self.input, self.reference)

    def _extract(self, text: str) -> str | None:
        try:
            if self.fullmatch:
                match = self.pattern.fullmatch(text, timeout=self.timeout_s)
            elif self.last:
                match = None
                for match in self.pattern.finditer(text, timeout=self.timeout_s):  # noqa: B007 - keep the last
                    pass
            else:
                match = self.pattern.search(text, timeout=self.timeout_s)
        except TimeoutError:
            raise GradeFailure(
                "timeout", "other_error", f"pattern {self.pattern.pattern!r} took over {self.timeout_s:g} s"
            ) from None
        if match is None:
            return None
        if "answer" in self.pattern.groupindex:
            return match.group("answer") or ""
        if self.pattern.groups:
            return match.group(1) or ""
        return str(match.group(0))

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        ns = sample.namespace()
        found = self._extract(self.input.render(ns, item))
        if found is None:
            return GradeResult(reward=0.0, metadata={"extracted": None, "reason": "no match"})
        if self.reference is None:
            return GradeResult(reward=1.0, metadata={"extracted": found})
        reference = self.reference.render(ns, item)
        hit = _text_norm.normalize_answer(found, self.compare) == _text_norm.normalize_answer(reference, self.compare)
        return GradeResult(reward=1.0 if hit else 0.0, metadata={"extracted": found})

    def to_hosted(self) -> dict[str, Any]:
        """This grader as an OpenAI ``python`` grader (``re`` instead of ``regex``; same pattern and rules)."""
        flags = " | ".join(f"re.{name}" for name in self.flag_names) or "0"
        has_ref = self.reference is not None
        body = f"""
import re

PATTERN = re.compile({self.pattern.pattern!r}, {flags})


def _extract(text):
    if {self.fullmatch!r}:
        match = PATTERN.fullmatch(text)
    elif {self.last!r}:
        match = None
        for match in PATTERN.finditer(text):
            pass
    else:
        match = PATTERN.search(text)
    if match is None:
        return None
    if "answer" in PATTERN.groupindex:
        return match.group("answer") or ""
    if PATTERN.groups:
        return match.group(1) or ""
    return match.group(0)


def grade(sample, item):
    found = _extract({{INPUT:input}})
    if found is None:
        return 0.0
    if not {has_ref!r}:
        return 1.0
    reference = {{INPUT:reference}}
    same = normalize_answer(found, {self.compare!r}) == normalize_answer(reference, {self.compare!r})
    return 1.0 if same else 0.0
"""
        templates = {"input": self.input}
        if self.reference is not None:
            templates["reference"] = self.reference
        return python_grader_config(self, [_text_norm], body, templates)
