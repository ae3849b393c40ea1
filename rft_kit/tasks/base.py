"""The generator contract: a task generator is a pure function of (config, seed, index) -> Item (docs/architecture.md:
task generation).

Every item is built from its own ``random.Random``, seeded from a stable digest of (template, difficulty, seed, index),
so items are random-access (item 9,000 costs the same as item 0) and identical across runs, processes and machines.
Python's ``hash()`` is salted per process and is never used for this.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import random
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from ..errors import ConfigError
from ..records import Item

if TYPE_CHECKING:
    from ..graders.base import Grader

__all__ = ["C", "Draft", "Levels", "TaskConfig", "TaskGenerator", "between", "derive_rng", "pick", "stable_int"]

T = TypeVar("T")

Levels = Mapping[str, Mapping[str, Any]]
"""Difficulty levels as data: level name -> config field values."""


def stable_int(*parts: object) -> int:
    """A 64-bit integer digest of ``parts`` that is the same on every run and machine.

    Args:
        parts: values whose ``str()`` is hashed, separated by NUL so ``("a", "bc")`` and ``("ab", "c")`` differ.

    Returns:
        An integer in ``[0, 2**64)``.

    >>> stable_int("arithmetic", 0, 1) == stable_int("arithmetic", 0, 1)
    True
    """
    digest = hashlib.blake2b("\x00".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def derive_rng(template: str, difficulty: str, seed: int, index: int) -> random.Random:
    """The random stream of one item.

    The difficulty takes part in the digest so that an easy and a hard set drawn with the same seed are not the same
    scenarios at different sizes (mixing them would otherwise correlate the two sets).
    """
    return random.Random(stable_int(template, difficulty, seed, index))


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """A uniformly chosen element, from one ``rng.random()`` draw.

    Same distribution as ``rng.choice`` up to float granularity (2**-53) and about three times faster, which
    matters in generators that draw a dozen choices per item. ``random()`` is specified to produce the same stream
    on every platform, so items stay reproducible.
    """
    return options[int(rng.random() * len(options))]


def between(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in ``[low, high]`` from one ``rng.random()`` draw (a faster ``rng.randint``)."""
    return low + int(rng.random() * (high - low + 1))


@dataclass(frozen=True, kw_only=True)
class TaskConfig:
    """Base of generator configs: frozen, keyword-only, validated on construction.

    Subclasses declare their fields and override :meth:`validate`, raising :class:`~rft_kit.errors.ConfigError` with
    the field name as ``path`` (the helpers below do that).
    """

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check field values; raise ConfigError naming the field. The base config has nothing to check."""

    def require_range(self, low: str, high: str, *, minimum: float | None = None) -> None:
        """Check that ``low <= high`` (and ``low >= minimum``) for two numeric fields.

        Raises:
            ConfigError: naming the offending field.
        """
        lo, hi = getattr(self, low), getattr(self, high)
        if minimum is not None and lo < minimum:
            raise ConfigError(f"must be >= {minimum}, got {lo}", path=low)
        if lo > hi:
            raise ConfigError(f"must be >= {low} ({lo}), got {hi}", path=high)

    def require_choices(self, name: str, allowed: tuple[str, ...]) -> None:
        """Check that a tuple field is non-empty and only holds values from ``allowed``.

        Raises:
            ConfigError: naming the field and the unknown value.
        """
        values = getattr(self, name)
        if not values:
            raise ConfigError("must not be empty", path=name)
        for value in values:
            if value not in allowed:
                hint = difflib.get_close_matches(str(value), allowed, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise ConfigError(f"unknown value {value!r}{extra}; allowed: {', '.join(allowed)}", path=name)

    def as_dict(self) -> dict[str, Any]:
        """The config as JSON-ready data (tuples become lists)."""
        return cast(dict[str, Any], json.loads(json.dumps(dataclasses.asdict(self))))


@dataclass(slots=True)
class Draft:
    """What a generator produces for one index, before ids and metadata are attached.

    Attributes:
        messages: the prompt (``developer`` then ``user`` messages; the last one is ``user``).
        reference: top-level reference fields the template's grader reads as ``item.<key>``.
        tools: the function catalogue for tool-calling rows (the RFT ``tools`` key), or ``None``.
        info: extra metadata for statistics (``label``, ``family``, ...).
    """

    messages: list[dict[str, str]]
    reference: dict[str, Any]
    tools: list[dict[str, Any]] | None = None
    info: dict[str, Any] = field(default_factory=dict)


C = TypeVar("C", bound=TaskConfig)


class TaskGenerator(ABC, Generic[C]):
    """A task template backed by Python.

    Class attributes:
        name: registry name and id prefix.
        domain: what kind of work the tasks exercise (shown by ``rft templates``).
        version: bumped whenever the same (config, seed, index) would produce a different item.
        description: one line for ``rft templates``.
        grader: the grader that checks the items: an ``rft:NAME`` library grader (``rft:tasks/arithmetic_word``)
            or a grader file path.
        config_cls: the frozen config dataclass.
        levels: difficulty levels as data: level name -> config field values.
        default_level: the level used when none is given.
        kind: ``"single_turn"``, or ``"agentic"`` for rows with tools, an environment and an oracle plan.
    """

    name: ClassVar[str]
    domain: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str]
    grader: ClassVar[str]
    config_cls: ClassVar[type[TaskConfig]]
    levels: ClassVar[Levels]
    default_level: ClassVar[str] = "medium"
    kind: ClassVar[str] = "single_turn"

    def config(self, difficulty: str | None = None, **overrides: Any) -> C:
        """The validated config of a difficulty level, with optional field overrides.

        Raises:
            ConfigError: unknown level or field (with a did-you-mean), or a value the config rejects.
        """
        level = difficulty or self.default_level
        if level not in self.levels:
            raise ConfigError(
                f"unknown difficulty {level!r}{_did_you_mean(level, self.levels)}; levels: {', '.join(self.levels)}",
                path="difficulty",
            )
        values = dict(self.levels[level])
        names = {f.name for f in dataclasses.fields(self.config_cls)}
        for key, value in overrides.items():
            if key not in names:
                raise ConfigError(
                    f"unknown config field for template '{self.name}'{_did_you_mean(key, names)}; "
                    f"fields: {', '.join(sorted(names))}",
                    path=key,
                )
            values[key] = tuple(value) if isinstance(value, list) else value
        return cast(C, self.config_cls(**values))

    @abstractmethod
    def draft(self, rng: random.Random, config: C) -> Draft:
        """Build one task from its random stream. Must use no randomness but ``rng``."""

    @abstractmethod
    def reference_sample(self, item: Item) -> str | dict[str, Any]:
        """The item's reference rendered as a model output (text, or a sample object with ``output_tools``).

        The registry-wide test grades this with the template's grader and requires the maximum reward.
        """

    def load_grader(self) -> Grader:
        """The grader that checks this template's items (:attr:`grader`, an ``rft:`` name or a file path).

        Raises:
            ConfigError: an unknown ``rft:`` name, or a missing or invalid grader file.
        """
        from ..graders.loading import build_grader, read_grader_file

        grader_file = read_grader_file(self.grader)
        return build_grader(grader_file.config, source=grader_file.source)

    def item(
        self,
        config: C,
        seed: int,
        index: int,
        *,
        difficulty: str,
        id_suffix: str = "",
        rng: random.Random | None = None,
    ) -> Item:
        """The item at ``index`` of the set drawn with ``seed`` (pure: same arguments, same item).

        Args:
            config: the level's config.
            seed: the set's seed.
            index: the item's position in the set.
            difficulty: the level name (part of the id and of the random stream).
            id_suffix: appended to the id (sets drawn with config overrides).
            rng: a ``Random`` to reseed and reuse (saves an allocation per item in long runs); its prior state
                does not matter.
        """
        stream = stable_int(self.name, difficulty, seed, index)
        if rng is None:
            rng = random.Random(stream)
        else:
            rng.seed(stream)
        draft = self.draft(rng, config)
        if not draft.messages or draft.messages[-1]["role"] != "user":
            raise RuntimeError(f"template {self.name} produced a prompt that does not end with a user message")
        row: Item = {"id": f"{self.name}-{difficulty}-{seed}-{index}{id_suffix}", "messages": draft.messages}
        if draft.tools is not None:
            row["tools"] = draft.tools
        for key, value in draft.reference.items():
            if key in ("id", "messages", "tools", "metadata"):
                raise RuntimeError(f"template {self.name} uses the reserved key {key!r} as a reference field")
            row[key] = value
        row["metadata"] = {
            "template": self.name,
            "domain": self.domain,
            "difficulty": difficulty,
            "seed": seed,
            "index": index,
            "version": self.version,
            **draft.info,
        }
        return row


def _did_you_mean(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
