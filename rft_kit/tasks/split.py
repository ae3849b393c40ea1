"""Train/validation splits with no near-duplicate crossing the split.

Items whose user-visible prompts are near-duplicates are grouped first, and whole groups go to one side, so a
validation score is never inflated by a lightly reworded copy of a training item. Candidates are found with MinHash
LSH over word 3-shingles (exact CRC32 shingle hashes and fixed permutation constants, so the result is the same on
every run and machine), then confirmed with rapidfuzz ``ratio`` (normalised edit similarity, 95 by default). Not
``token_set_ratio``: it scores 100 whenever one prompt's words are a subset of another's, which would group every
sibling of a procedural template. Exact duplicates (after normalising case and whitespace) are always grouped.
Groups are ordered by a stable hash of the seed and their first item id, and the validation side takes groups in that
order until it reaches its share.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .base import stable_int

__all__ = ["SplitResult", "near_duplicate_groups", "split_items", "user_text"]

_PRIME = (1 << 61) - 1
_PERMUTATIONS = 32
_BANDS = 8  # 8 bands of 4 rows: candidate pairs from about 0.6 Jaccard similarity upwards
_WORD = re.compile(r"\w+")
_RNG = np.random.default_rng(20240601)  # fixed constants; never reseeded, so the permutations are part of the code
_A = _RNG.integers(1, _PRIME, size=_PERMUTATIONS, dtype=np.uint64)
_B = _RNG.integers(0, _PRIME, size=_PERMUTATIONS, dtype=np.uint64)


def user_text(item: Mapping[str, Any]) -> str:
    """The text that distinguishes items: the user messages (developer/system prompts repeat across a template)."""
    parts = []
    for message in item.get("messages") or []:
        if isinstance(message, Mapping) and message.get("role") == "user" and isinstance(message.get("content"), str):
            parts.append(message["content"])
    return "\n".join(parts)


def _signature(text: str) -> np.ndarray[Any, np.dtype[np.uint64]]:
    tokens = _WORD.findall(text.lower())
    shingles = {" ".join(tokens[i : i + 3]) for i in range(max(1, len(tokens) - 2))} or {""}
    hashes = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in shingles), dtype=np.uint64)
    # (a*h + b) mod p with h < 2**32 and a, b < 2**61 would overflow uint64; fold a into 32 bits first
    products = ((_A[:, None] & np.uint64(0xFFFFFFFF)) * hashes[None, :] + _B[:, None]) % np.uint64(_PRIME)
    signature: np.ndarray[Any, np.dtype[np.uint64]] = products.min(axis=1)
    return signature


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def near_duplicate_groups(texts: Sequence[str], *, threshold: float = 95.0) -> list[list[int]]:
    """Group indices of near-duplicate texts (rapidfuzz ``ratio`` >= ``threshold``, or equal after normalising).

    Returns:
        Groups of indices, each sorted, ordered by their first index; singletons included.
    """
    from rapidfuzz import fuzz, process

    uf = _UnionFind(len(texts))
    exact: dict[str, int] = {}
    for i, text in enumerate(texts):
        key = " ".join(text.lower().split())
        if key in exact:
            uf.union(exact[key], i)
        else:
            exact[key] = i
    buckets: dict[tuple[int, bytes], list[int]] = {}
    rows = _PERMUTATIONS // _BANDS
    for i, text in enumerate(texts):
        sig = _signature(text)
        for band in range(_BANDS):
            buckets.setdefault((band, sig[band * rows : (band + 1) * rows].tobytes()), []).append(i)
    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) < 2:
            continue
        scores = process.cdist(
            [texts[m] for m in members],
            [texts[m] for m in members],
            scorer=fuzz.ratio,
            score_cutoff=threshold,
            dtype=np.uint8,  # type: ignore[call-overload]
            workers=-1,
        )
        hits = np.argwhere(scores >= threshold)
        for a, b in hits:
            i, j = members[int(a)], members[int(b)]
            if i < j and (i, j) not in checked:
                checked.add((i, j))
                uf.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(uf.find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


@dataclass
class SplitResult:
    """A train/validation split and how it was made."""

    train: list[dict[str, Any]] = field(default_factory=list)
    valid: list[dict[str, Any]] = field(default_factory=list)
    groups: int = 0
    grouped_items: int = 0
    largest_group: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Counts for reports (the items themselves are left out)."""
        return {
            "train": len(self.train),
            "valid": len(self.valid),
            "groups": self.groups,
            "items_in_near_duplicate_groups": self.grouped_items,
            "largest_group": self.largest_group,
        }


def split_items(
    items: Sequence[dict[str, Any]], train_fraction: float, *, seed: int = 0, threshold: float = 95.0
) -> SplitResult:
    """Split items into train and validation sets with near-duplicate groups kept on one side.

    Args:
        items: the task set.
        train_fraction: share of items for training, in (0, 1).
        seed: changes which groups go to validation.
        threshold: rapidfuzz ``ratio`` (0-100) at or above which two prompts count as near-duplicates.

    Raises:
        ValueError: ``train_fraction`` outside (0, 1).
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train fraction must be between 0 and 1 (exclusive), got {train_fraction}")
    groups = near_duplicate_groups([user_text(i) for i in items], threshold=threshold)
    ordered = sorted(groups, key=lambda g: stable_int("split", seed, items[g[0]].get("id", g[0])))
    target = round(len(items) * (1.0 - train_fraction))
    result = SplitResult(groups=len(groups))
    valid_idx: set[int] = set()
    for group in ordered:
        if len(valid_idx) >= target:
            break
        # a group that would overshoot the target by more than half its size stays in training
        if valid_idx and len(valid_idx) + len(group) - target > len(group) / 2:
            continue
        valid_idx.update(group)
    for i, item in enumerate(items):
        (result.valid if i in valid_idx else result.train).append(item)
    result.grouped_items = sum(len(g) for g in groups if len(g) > 1)
    result.largest_group = max((len(g) for g in groups), default=0)
    return result
