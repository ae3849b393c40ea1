"""The grader base class: the contract every grader type implements.

A grader is built from a *validated* config dict (see ``rft_kit.config``) and is immutable afterwards. Subclasses
implement :meth:`Grader._score` for one pair and may override :meth:`Grader._score_batch` with a vectorised path.
:meth:`Grader.grade` wraps ``_score`` so that a bad sample can never raise: a :class:`GradeFailure` becomes a recorded
error with reward 0, and any other exception (a bug) becomes an ``internal`` error with its traceback in metadata.

Graders pickle by config (``__reduce__``), so they cross process pools without closures.
"""

from __future__ import annotations

import copy
import operator
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any, ClassVar, cast

from ..errors import GradeFailure
from ..records import GradeError, GradeResult, Sample
from ..templating import RenderOptions, Template, compile_template

__all__ = [
    "Grader",
    "NotVectorizable",
    "SampleLike",
    "as_sample",
    "batch_column",
    "batch_texts",
    "batch_well_formed",
    "reads_text_in_batch",
]

SampleLike = Sample | Mapping[str, Any] | str
"""What grading functions accept as a sample: a Sample, a sample object, or a plain output string."""


def as_sample(sample: SampleLike) -> Sample:
    """Coerce a plain string or sample object to a :class:`Sample`.

    Raises:
        TypeError / ValueError: for a sample object with a field of the wrong type (names the field).
    """
    if isinstance(sample, Sample):
        return sample
    if isinstance(sample, str):
        return Sample.from_text(sample)
    return Sample.from_obj(sample)


class Grader(ABC):
    """Base class of every grader type.

    Class attributes:
        type: the config ``type`` this class implements (``"string_check"``).
        top_level: whether RFT accepts it as the job's single grader (``label_model`` does not).
    """

    type: ClassVar[str]
    top_level: ClassVar[bool] = True
    # True when _score_batch reads output_text through batch_texts, which already requires a string; the batch
    # check then skips that field (every pass over a large batch costs cache misses).
    _batch_checks_text: bool = False
    # Graders that already spread a batch over their own workers (the code sandbox pool, the async judge engine):
    # a process pool on top would only multiply servers and connections.
    parallel_inside: bool = False
    # Group-aware graders (ranking_judge) score the samples of one item relative to each other: grade_batch hands
    # them whole groups (grouping.group_indices) through grade_group, and callers keep groups whole in a batch.
    group_aware: ClassVar[bool] = False

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        self._config: dict[str, Any] = copy.deepcopy(dict(config))
        self.name: str = str(self._config.get("name") or self.type)
        self.path = path
        options = self._config.get("rft_options") or {}
        self.render_options = RenderOptions(
            value_format=options.get("template_values", "json"),
            json_descent=options.get("json_descent", True),
        )

    # -- construction helpers ------------------------------------------------------------------------------------
    def _template(self, key: str, options: RenderOptions | None = None) -> Template:
        field = f"{self.path}.{key}" if self.path else key
        return compile_template(str(self._config[key]), field=field, options=options or self.render_options)

    @property
    def templates(self) -> tuple[Template, ...]:
        """Every template this grader renders (used by static checks against items)."""
        return ()

    # -- grading -------------------------------------------------------------------------------------------------
    @abstractmethod
    def _score(self, sample: Sample, item: Mapping[str, Any]) -> float | GradeResult:
        """Grade one pair. Raise :class:`GradeFailure` for a sample that cannot be graded."""

    def grade(self, sample: SampleLike, item: Mapping[str, Any] | None = None) -> GradeResult:
        """Grade one (sample, item) pair. Never raises for a bad sample or item.

        Args:
            sample: a :class:`Sample`, a sample object, or the model's output text.
            item: the task row (``{{item.*}}``); ``None`` means an empty item.
        """
        start = time.perf_counter()
        try:
            smp = as_sample(sample)
            if smp.error:
                raise GradeFailure(
                    "sample",
                    "other_error",
                    f"the sample carries a sampling error: {smp.error.get('message', smp.error)}",
                )
            outcome = self._score(smp, item if item is not None else {})
        except GradeFailure as failure:
            outcome = GradeResult.failed(GradeError(failure.kind, failure.flag, failure.message, self.name))
        except (TypeError, ValueError) as exc:
            if isinstance(sample, Sample):
                outcome = self._internal_error(exc)
            else:  # the sample object itself was malformed
                outcome = GradeResult.failed(GradeError("parse", "sample_parse_error", f"bad sample: {exc}", self.name))
        except Exception as exc:  # a bug in a grader must not kill a run; it is recorded with its traceback
            outcome = self._internal_error(exc)
        result = outcome if isinstance(outcome, GradeResult) else GradeResult(reward=outcome)
        result.duration_ms = (time.perf_counter() - start) * 1000.0
        result.grader_name = self.name
        result.grader_type = self.type
        return result

    def _internal_error(self, exc: BaseException) -> GradeResult:
        result = GradeResult.failed(
            GradeError("internal", "other_error", f"{type(exc).__name__}: {exc} (a bug in rft-kit)", self.name)
        )
        result.metadata["traceback"] = traceback.format_exc(limit=8)
        return result

    def run(self, sample: SampleLike, item: Mapping[str, Any] | None = None) -> GradeResult:
        """Grade like the hosted ``/graders/run``: a plain string becomes ``output_text`` (+ ``output_json``).

        ``result.envelope()`` gives the hosted ``RunGraderResponse`` shape.
        """
        return self.grade(sample, item)

    def _score_batch(self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any]]) -> list[float] | None:
        """A vectorised path for a whole batch, or ``None`` when it does not apply (the caller then grades pairs).

        It must return exactly what :meth:`_score` would for every pair, and may only succeed when no pair fails.
        ``samples`` are as the caller gave them (strings, sample objects or Samples): see :func:`batch_texts`.
        """
        return None

    def grade_batch(
        self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any] | None]
    ) -> list[GradeResult]:
        """Grade many pairs; uses the grader's vectorised path when every pair can take it.

        A group-aware grader gets the batch's groups (pairs with the same item) through :meth:`grade_group`.
        """
        if self.group_aware:
            from .grouping import grade_by_group

            return grade_by_group(self, samples, items)
        rewards = self.rewards(samples, items)
        if rewards is not None:
            return [GradeResult(reward=r, grader_name=self.name, grader_type=self.type) for r in rewards]
        return [self.grade(s, i) for s, i in zip(samples, items, strict=True)]

    def grade_group(self, samples: Sequence[SampleLike], item: Mapping[str, Any] | None = None) -> list[GradeResult]:
        """Grade the samples of ONE item together (one result per sample, in order). Never raises for bad input.

        Graders that are not group-aware grade each sample on its own.
        """
        return [self.grade(s, item) for s in samples]

    def rewards(self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any] | None]) -> list[float] | None:
        """Rewards for a batch through the vectorised path only; ``None`` if any pair needs the per-pair path."""
        if len(samples) != len(items):
            raise ValueError(f"a batch needs as many items as samples ({len(samples)} != {len(items)})")
        # `None in items` is a C scan; rebuilding the list would be one more pass over every item
        its: Sequence[Mapping[str, Any]] = (
            [i if i is not None else {} for i in items] if None in items else cast("Sequence[Mapping[str, Any]]", items)
        )
        if not batch_well_formed(samples, text_checked=self._batch_checks_text):
            return None  # a malformed sample or a sampling error is reported by the per-pair path
        try:
            return self._score_batch(samples, its)
        except (NotVectorizable, GradeFailure, LookupError, TypeError, ValueError, AttributeError):
            return None

    # -- export --------------------------------------------------------------------------------------------------
    def to_hosted(self) -> dict[str, Any] | None:
        """The hosted grader config this grader exports as, for a type the hosted API does not have; else ``None``.

        Hosted types (``string_check``, ``score_model``, ...) export their own config and are never asked. An
        extension type overrides this to compile itself (to a ``python`` grader, or a ``score_model`` with a
        compiled prompt); the default ``None`` makes ``rft export openai`` refuse the type with a clear error.

        Raises:
            ConfigError: this grader's settings cannot be expressed by a hosted grader.
            ValueError: the compiled grader breaks a hosted limit (e.g. source over 256 kB).
        """
        return None

    # -- config --------------------------------------------------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        """The grader's config, as loaded (validated and normalised); ``load_grader(g.to_config())`` rebuilds it."""
        return copy.deepcopy(self._config)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.to_config(), self.path))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def _rebuild(config: dict[str, Any], path: str) -> Grader:
    from ..graders.loading import build_grader

    return build_grader(config, path=path)


_TEXT_OF_SAMPLE = operator.attrgetter("output_text")
_HAS_ERROR = operator.attrgetter("error")


class NotVectorizable(Exception):
    """Raised inside a vectorised path when a pair needs the per-pair path; :meth:`Grader.rewards` catches it."""


def batch_column(
    template: Template, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any]]
) -> Iterator[Any] | None:
    """Lazily read the raw value of a one-variable template for every pair, or ``None`` if the batch cannot.

    The values are *raw* (not yet rendered): callers must check they are ``str`` (a non-string renders as JSON), as
    :func:`batch_texts` does. Taken shapes: a literal template, ``{{item.key}}``, and
    ``{{sample.output_text}}`` over plain-string samples, :class:`Sample` objects or sample dicts
    (:meth:`Grader.rewards` has already checked them with :func:`batch_well_formed`). Every check is a ``map`` over C
    functions: this path exists to beat a hand-written Python loop.
    """
    if template.is_literal:
        return repeat(template.source, len(samples))
    fast = template.fast_getters()
    if fast is None:
        return None
    namespace, getter = fast
    if namespace == "item":
        return map(getter, items)
    if template.refs[0].path != ("output_text",):
        return None
    kinds = set(map(type, samples))
    if kinds == {str}:
        return iter(samples)
    if kinds == {Sample}:
        return map(_TEXT_OF_SAMPLE, samples)
    if kinds == {dict}:
        return map(getter, cast("Sequence[dict[str, Any]]", samples))
    return None


def batch_well_formed(samples: Sequence[SampleLike], *, text_checked: bool = False) -> bool:
    """True when every sample of the batch would become a :class:`Sample` without error and carries no sampling
    error: all strings, all Samples, or all sample dicts that pass :func:`_well_formed_dicts`. Mixed batches take the
    per-pair path."""
    kinds = set(map(type, samples))
    if kinds <= {str}:
        return True
    if kinds == {Sample}:
        return not any(map(_HAS_ERROR, samples))
    if kinds == {dict}:
        return _well_formed_dicts(cast("Sequence[dict[str, Any]]", samples), text_checked=text_checked)
    return False


# Fields whose type Sample.from_obj checks: (value when absent, types the fast path accepts). The fast path may be
# stricter than from_obj, never looser: anything else takes the per-pair path, which reports the malformed sample.
_CHECKED_FIELDS: dict[str, tuple[Any, frozenset[type]]] = {
    "output_text": (None, frozenset({str, type(None)})),
    "choices": (None, frozenset({list, type(None)})),
    "output_tools": (None, frozenset({list, type(None)})),
    "sample_index": (0, frozenset({int})),
}


def _well_formed_dicts(samples: Sequence[dict[str, Any]], *, text_checked: bool = False) -> bool:
    """True when every sample dict would pass ``Sample.from_obj`` and carries no sampling error; C-speed checks,
    run only for the checked fields that appear in the batch at all."""
    keys: set[str] = set().union(*samples)
    if "error" in keys:
        return False
    for name in keys & _CHECKED_FIELDS.keys():
        if name == "output_text" and text_checked:
            continue
        default, allowed = _CHECKED_FIELDS[name]
        try:  # itemgetter is several times faster than .get, and the field is usually in every sample
            kinds = set(map(type, map(operator.itemgetter(name), samples)))
        except KeyError:
            kinds = set(map(type, map(operator.methodcaller("get", name, default), samples)))
            kinds.add(type(default))
        if not kinds <= allowed:
            return False
    return True


def reads_text_in_batch(*templates: Template) -> bool:
    """Whether one of ``templates`` is exactly ``{{sample.output_text}}`` (see ``Grader._batch_checks_text``)."""
    for template in templates:
        fast = template.fast_getters()
        if fast is not None and fast[0] == "sample" and template.refs[0].path == ("output_text",):
            return True
    return False


def batch_texts(
    template: Template, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any]]
) -> list[str] | None:
    """Like :func:`batch_column`, materialised and checked to be all strings (else ``None``)."""
    column = batch_column(template, samples, items)
    if column is None:
        return None
    values = list(column)
    if values and set(map(type, values)) != {str}:
        return None
    return values
