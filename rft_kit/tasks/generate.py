"""Drawing task sets from a generator and writing them as RFT JSONL."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..io.escape import json_text
from ..io.output import open_replacing
from ..records import Item
from .base import TaskGenerator, stable_int
from .registry import get_template

if TYPE_CHECKING:
    from ..graders.base import Grader

__all__ = ["MIXED", "dumps_item", "generate", "load_template_grader", "read_items", "write_items"]

MIXED = "mixed"
"""Difficulty value that draws each item's level from the levels, uniformly and reproducibly per index."""


def generate(
    template: str | TaskGenerator[Any],
    n: int,
    *,
    seed: int = 0,
    difficulty: str | None = None,
    start: int = 0,
    overrides: dict[str, Any] | None = None,
) -> Iterator[Item]:
    """Yield items ``start .. start+n-1`` of the set drawn with ``seed``.

    Args:
        template: a generator or its registry name (or a user template path).
        n: how many items.
        seed: the set's seed; the same seed gives byte-identical items.
        difficulty: a level name, ``"mixed"`` for a reproducible mix of all levels, or ``None`` for the default.
        start: first index (sets are random-access, so a slice costs no more than its size).
        overrides: config fields to change on top of the level's values.

    Raises:
        ConfigError: an unknown template, level or field, or an invalid config value.
    """
    gen = get_template(template) if isinstance(template, str) else template
    if n < 0:
        raise ConfigError(f"must be >= 0, got {n}", path="n")
    overrides = overrides or {}
    # ids of sets drawn with overrides must not collide with the plain level's ids
    suffix = f"-c{stable_int(json.dumps(overrides, sort_keys=True, default=str)) % 16**6:06x}" if overrides else ""
    levels: Sequence[str] = list(gen.levels) if difficulty == MIXED else [difficulty or gen.default_level]
    configs = {level: gen.config(level, **overrides) for level in levels}
    rng = random.Random()
    for index in range(start, start + n):
        level = levels[0] if len(levels) == 1 else levels[stable_int(gen.name, "level", seed, index) % len(levels)]
        yield gen.item(configs[level], seed, index, difficulty=level, id_suffix=suffix, rng=rng)


def dumps_item(item: Item) -> str:
    """The item's JSONL line (no newline). Key order is the generator's, so equal items give equal bytes."""
    return json_text(item)


def read_items(path: str | Path) -> list[Item]:
    """Read a tasks JSONL file.

    Raises:
        InputError: a malformed line (with its number) or a line that is not an object.
    """
    from ..errors import InputError
    from ..io.jsonl import iter_jsonl

    items: list[Item] = []
    for line in iter_jsonl(path):
        if line.error is not None:
            raise line.error
        if not isinstance(line.value, dict):
            raise InputError("an item must be a JSON object", source=str(path), line=line.number)
        items.append(line.value)
    return items


def write_items(items: Iterator[Item] | Sequence[Item], path: str | Path) -> int:
    """Write items to ``path`` (replacing it) and return how many were written."""
    count = 0
    with open_replacing(path) as handle:
        for item in items:
            handle.write(dumps_item(item) + "\n")
            count += 1
    return count


def load_template_grader(template: str | TaskGenerator[Any]) -> Grader:
    """The grader that checks a template's items, loaded and validated.

    Raises:
        ConfigError: an unknown template, or a missing or invalid grader.
    """
    gen = get_template(template) if isinstance(template, str) else template
    return gen.load_grader()
