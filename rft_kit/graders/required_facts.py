"""``required_facts`` (extension): the answer states every required fact (amounts, ids, citations).

Config::

    type: required_facts
    input: "{{sample.output_text}}"         # default
    facts: "{{item.required_facts}}"         # or an inline list
    credit: partial                          # share of facts present (default), or all

A fact is a string or a list of alternatives (any one counts), matched as a substring after NFKC normalisation,
case folding and whitespace collapsing: ``"$19.00"``, ``["escalated", "supervisor"]``, ``"[doc-12]"``. Exports to
OpenAI as a ``python`` grader running the same code (:mod:`rft_kit.graders._facts`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import ConfigError, GradeFailure
from ..records import GradeResult, Sample
from ..templating import Template, VarRef, compile_template, resolve
from . import _facts
from .base import Grader
from .hosted_source import python_grader_config

__all__ = ["RequiredFactsGrader"]


class RequiredFactsGrader(Grader):
    """Share of required facts the text states (or 1/0 with ``credit: all``)."""

    type: ClassVar[str] = "required_facts"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        self._config.setdefault("input", "{{sample.output_text}}")
        self.input: Template = self._template("input")
        self.all_or_nothing = self._config.get("credit", "partial") == "all"
        facts = self._config["facts"]
        field = f"{path}.facts" if path else "facts"
        self.facts_from: VarRef | None = None
        self._facts_template: Template | None = None
        self.facts: list[Any] | None = None
        if isinstance(facts, str):
            template = compile_template(facts, field=field, options=self.render_options)
            if len(template.parts) != 1 or not template.refs or template.refs[0].namespace != "item":
                raise ConfigError(f"{facts!r} must be exactly one {{{{item.<key>}}}} reference", path=field)
            self.facts_from, self._facts_template = template.refs[0], template
        else:
            try:
                _facts.fact_score("", facts)
            except ValueError as exc:
                raise ConfigError(str(exc), path=field) from None
            self.facts = list(facts)

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.input,) if self._facts_template is None else (self.input, self._facts_template)

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        ns = sample.namespace()
        facts = self.facts
        if facts is None:
            assert self.facts_from is not None
            facts = resolve(self.facts_from, {"item": item, "sample": ns}, self.render_options)
        try:
            share, missing = _facts.fact_score(self.input.render(ns, item), facts)
        except ValueError as exc:
            raise GradeFailure("config", "other_error", f"the item's required facts are invalid: {exc}") from None
        reward = float(share == 1.0) if self.all_or_nothing else share
        assert isinstance(facts, list)
        return GradeResult(reward=reward, metadata={"missing": [facts[i] for i in missing[:20]]})

    def to_hosted(self) -> dict[str, Any]:
        """This grader as an OpenAI ``python`` grader running the same matching code."""
        source = ["item", list(self.facts_from.path)] if self.facts_from is not None else None
        body = f"""
FACTS = _json.loads({json.dumps(json.dumps(self.facts))})
FACTS_FROM = _json.loads({json.dumps(json.dumps(source))})
ALL = {self.all_or_nothing!r}


def grade(sample, item):
    facts = FACTS if FACTS_FROM is None else _resolve(FACTS_FROM[0], FACTS_FROM[1], sample, item)
    share = fact_score({{INPUT:input}}, facts)[0]
    return float(share == 1.0) if ALL else share
"""
        return python_grader_config(self, [_facts], body, {"input": self.input})
