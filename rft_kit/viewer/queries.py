"""The sample table's filters, sorts and pages, computed over a :class:`~rft_kit.viewer.index.Snapshot`.

Query parameters (all optional; an unknown parameter is an error, so a typo never silently shows everything):

``status``
    ``any`` (default), ``failed`` (scored below the pass threshold), ``passed``, ``errored`` (a grading error, or a
    sampling error not yet graded), ``scored`` or ``ungraded``.
``error_kind``
    errored samples of these kinds (repeat the parameter or separate with commas); see ``ERROR_KINDS``.
``flipped``
    ``any``, ``fail_to_pass`` or ``pass_to_fail``: samples of items whose pass state differs from the baseline run's
    (an item passes when at least half of its scored samples pass, as in the report).
``template``, ``difficulty``, ``stop_reason``
    exact values (repeat or comma-separate for several).
``sub``, ``sub_min``, ``sub_max``
    a sub-grader's score range (inclusive); ``min_reward`` / ``max_reward`` the same for the reward.
``labelled``
    ``yes``, ``no``, or the latest verdict's kind: ``pass``, ``fail``, ``score``.
``q``
    case-insensitive text search in the output, the grading error, the item id and the prompt.
``sort``
    ``order`` (file order, default), ``item``, ``reward`` or ``sub`` (needs ``sub``); prefix ``-`` for descending.
``page``, ``per_page``
    1-based page and its size (at most :data:`MAX_PER_PAGE`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..records import ERROR_KINDS
from .index import LABEL_NAMES, STATUS_NAMES, RunIndex, Snapshot

__all__ = ["MAX_PER_PAGE", "QueryError", "SampleQuery", "item_pass_fraction", "parse_query", "row_summary", "select"]

MAX_PER_PAGE: Final = 500
MAX_QUERY_CHARS: Final = 500
_STATUSES: Final = ("any", "failed", "passed", "errored", "scored", "ungraded")
_FLIPPED: Final = ("any", "fail_to_pass", "pass_to_fail")
_LABELLED: Final = ("yes", "no", "pass", "fail", "score")
_SORTS: Final = ("order", "item", "reward", "sub")
_MULTI: Final = frozenset({"error_kind", "template", "difficulty", "stop_reason"})
_SINGLE: Final = frozenset(
    {"status", "flipped", "sub", "sub_min", "sub_max", "min_reward", "max_reward", "labelled", "q", "sort"}
    | {"page", "per_page"}
)


class QueryError(ValueError):
    """A bad query parameter; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(f"{param}: {message}")


@dataclass(frozen=True)
class SampleQuery:
    """A parsed sample-table query (see the module docstring)."""

    status: str = "any"
    error_kinds: tuple[str, ...] = ()
    flipped: str | None = None
    templates: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    stop_reasons: tuple[str, ...] = ()
    sub: str | None = None
    sub_min: float | None = None
    sub_max: float | None = None
    min_reward: float | None = None
    max_reward: float | None = None
    labelled: str | None = None
    q: str = ""
    sort: str = "order"
    descending: bool = False
    page: int = 1
    per_page: int = 50
    echo: dict[str, Any] = field(default_factory=dict)


def _number(param: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise QueryError(param, f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise QueryError(param, f"must be a finite number, got {text!r}")
    return value


def _integer(param: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise QueryError(param, f"must be an integer, got {text!r}") from None
    if not low <= value <= high:
        raise QueryError(param, f"must be between {low} and {high}, got {value}")
    return value


def _choice(param: str, text: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise QueryError(param, f"must be one of {', '.join(allowed)}; got {text!r}")
    return text


def parse_query(pairs: Iterable[tuple[str, str]]) -> SampleQuery:
    """Parse query-string pairs.

    Raises:
        QueryError: an unknown parameter, a repeated single-valued one, or a malformed value.
    """
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        if key in _MULTI:
            multi.setdefault(key, []).extend(v.strip() for v in value.split(",") if v.strip())
        elif key in _SINGLE:
            if key in single:
                raise QueryError(key, "given more than once")
            single[key] = value
        elif key != "token":  # ``?token=`` is the login parameter, handled before the route
            allowed = ", ".join(sorted(_MULTI | _SINGLE))
            raise QueryError(key, f"unknown parameter; the sample filters are {allowed}")
    kinds = tuple(multi.get("error_kind", ()))
    for kind in kinds:
        _choice("error_kind", kind, ERROR_KINDS)
    sort = single.get("sort", "order")
    descending = sort.startswith("-")
    sort = _choice("sort", sort.removeprefix("-"), _SORTS)
    sub = single.get("sub") or None
    if sort == "sub" and sub is None:
        raise QueryError("sort", "sort=sub needs sub=NAME")
    if sub is None and ("sub_min" in single or "sub_max" in single):
        raise QueryError("sub", "sub_min / sub_max need sub=NAME (the sub-grader)")
    q = single.get("q", "").strip()
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError("q", f"must be at most {MAX_QUERY_CHARS} characters")
    echo: dict[str, Any] = dict(single)
    echo.update(multi)
    return SampleQuery(
        status=_choice("status", single.get("status", "any"), _STATUSES),
        error_kinds=kinds,
        flipped=_choice("flipped", single["flipped"], _FLIPPED) if single.get("flipped") else None,
        templates=tuple(multi.get("template", ())),
        difficulties=tuple(multi.get("difficulty", ())),
        stop_reasons=tuple(multi.get("stop_reason", ())),
        sub=sub,
        sub_min=_number("sub_min", single["sub_min"]) if single.get("sub_min") else None,
        sub_max=_number("sub_max", single["sub_max"]) if single.get("sub_max") else None,
        min_reward=_number("min_reward", single["min_reward"]) if single.get("min_reward") else None,
        max_reward=_number("max_reward", single["max_reward"]) if single.get("max_reward") else None,
        labelled=_choice("labelled", single["labelled"], _LABELLED) if single.get("labelled") else None,
        q=q,
        sort=sort,
        descending=descending,
        page=_integer("page", single.get("page", "1"), 1, 10**9),
        per_page=_integer("per_page", single.get("per_page", "50"), 1, MAX_PER_PAGE),
        echo=echo,
    )


def item_pass_fraction(snap: Snapshot, items: int) -> npt.NDArray[np.float64]:
    """Per item code, the share of its scored samples that pass (NaN for an item with none scored)."""
    scored = np.bincount(snap.item[snap.status == 1], minlength=items).astype(np.float64)
    passed = np.bincount(snap.item[snap.passed], minlength=items).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scored > 0, passed / scored, np.nan)


def _flipped_items(index: RunIndex, snap: Snapshot, baseline: RunIndex, direction: str) -> npt.NDArray[np.bool_]:
    base_snap = baseline.snapshot()
    now = item_pass_fraction(snap, len(index.item_ids))
    before_by_code = item_pass_fraction(base_snap, len(baseline.item_ids))
    codes = index.codes_in(baseline)
    before = np.where(codes >= 0, before_by_code[np.maximum(codes, 0)] if before_by_code.size else np.nan, np.nan)
    known: npt.NDArray[np.bool_] = ~np.isnan(now) & ~np.isnan(before)
    with np.errstate(invalid="ignore"):
        now_pass: npt.NDArray[np.bool_] = now >= 0.5
        before_pass: npt.NDArray[np.bool_] = before >= 0.5
    if direction == "fail_to_pass":
        return known & now_pass & ~before_pass
    if direction == "pass_to_fail":
        return known & ~now_pass & before_pass
    differs: npt.NDArray[np.bool_] = now_pass != before_pass
    return known & differs


def _codes(param: str, values: tuple[str, ...], lookup: Any) -> list[int]:
    return [code for code in (lookup(value) for value in values) if code is not None]


def select(
    index: RunIndex, snap: Snapshot, query: SampleQuery, baseline: RunIndex | None = None
) -> tuple[int, npt.NDArray[np.int64]]:
    """Rows matching ``query``: ``(how many match, the row numbers of the requested page, sorted)``.

    Raises:
        QueryError: a filter this run cannot answer (``flipped`` without a baseline, an unknown sub-grader).
    """
    mask = np.ones(snap.size, dtype=np.bool_)
    status = query.status
    if status == "failed":
        mask &= (snap.status == 1) & ~snap.passed
    elif status == "passed":
        mask &= snap.passed
    elif status == "errored":
        mask &= (snap.status == 2) | ((snap.status == 0) & (snap.sample_error == 1))
    elif status == "scored":
        mask &= snap.status == 1
    elif status == "ungraded":
        mask &= snap.status == 0
    if query.error_kinds:
        codes = _codes("error_kind", query.error_kinds, index.error_kinds.get)
        mask &= (snap.status == 2) & np.isin(snap.err_kind, codes)
    if query.templates:
        wanted = np.isin(snap.item_template, _codes("template", query.templates, index.templates.get))
        mask &= wanted[snap.item]
    if query.difficulties:
        wanted = np.isin(snap.item_difficulty, _codes("difficulty", query.difficulties, index.difficulties.get))
        mask &= wanted[snap.item]
    if query.stop_reasons:
        mask &= np.isin(snap.stop_reason, _codes("stop_reason", query.stop_reasons, index.stop_reasons.get))
    with np.errstate(invalid="ignore"):
        if query.min_reward is not None:
            mask &= snap.reward >= query.min_reward
        if query.max_reward is not None:
            mask &= snap.reward <= query.max_reward
        sub_values = None
        if query.sub is not None:
            sub_values = snap.subs.get(query.sub)
            if sub_values is None:
                known = ", ".join(sorted(snap.subs)) or "none in this run"
                raise QueryError("sub", f"no sub-grader {query.sub!r} (sub-graders: {known})")
            mask &= ~np.isnan(sub_values)
            if query.sub_min is not None:
                mask &= sub_values >= query.sub_min
            if query.sub_max is not None:
                mask &= sub_values <= query.sub_max
    if query.labelled is not None:
        if query.labelled == "yes":
            mask &= snap.label > 0
        elif query.labelled == "no":
            mask &= snap.label == 0
        else:
            mask &= snap.label == LABEL_NAMES.index(query.labelled)
    if query.flipped is not None:
        if baseline is None:
            raise QueryError("flipped", "this run has no baseline to compare with")
        mask &= _flipped_items(index, snap, baseline, query.flipped)[snap.item]
    if query.q:
        mask &= index.search(query.q.lower())
    rows = np.flatnonzero(mask)
    rows = _sorted(snap, rows, query, sub_values)
    start = (query.page - 1) * query.per_page
    return int(rows.size), rows[start : start + query.per_page]


def _sorted(
    snap: Snapshot, rows: npt.NDArray[np.int64], query: SampleQuery, sub_values: npt.NDArray[np.float64] | None
) -> npt.NDArray[np.int64]:
    if query.sort == "order":
        return rows[::-1] if query.descending else rows
    if query.sort == "item":
        keys: tuple[npt.NDArray[Any], ...] = (snap.sample_index[rows], snap.item_rank[snap.item[rows]])
        order = np.lexsort(keys)
        return rows[order[::-1]] if query.descending else rows[order]
    column = sub_values if query.sort == "sub" and sub_values is not None else snap.reward
    values = column[rows]
    # ungraded (NaN) rows go last either way; ties keep file order
    filled = np.where(np.isnan(values), np.inf, -values if query.descending else values)
    return rows[np.argsort(filled, kind="stable")]


def row_summary(index: RunIndex, snap: Snapshot, row: int) -> dict[str, Any]:
    """One table row as JSON."""
    item = int(snap.item[row])
    status = int(snap.status[row])
    reward = float(snap.reward[row])
    key = (index.item_ids[item], int(snap.sample_index[row]))
    label = index.latest_label.get(key)
    kind = int(snap.err_kind[row])
    stop = int(snap.stop_reason[row])
    return {
        "item_id": key[0],
        "sample_index": key[1],
        "status": STATUS_NAMES[status],
        "reward": None if math.isnan(reward) else reward,
        "passed": bool(snap.passed[row]) if status == 1 else None,
        "error_kind": index.error_kinds.names[kind] if kind >= 0 else None,
        "sample_error": bool(snap.sample_error[row]),
        "template": index.templates.names[int(snap.item_template[item])],
        "difficulty": index.difficulties.names[int(snap.item_difficulty[item])],
        "sub_rewards": {name: float(values[row]) for name, values in snap.subs.items() if not math.isnan(values[row])},
        "snippet": index.snippet[row],
        "stop_reason": index.stop_reasons.names[stop] if stop >= 0 else None,
        "turns": int(snap.turns[row]) if snap.turns[row] >= 0 else None,
        "label": None if label is None else label.to_dict(),
        "labellers": len(index.labels.get(key, {})),
    }
