"""The index cache: a saved index taken up by a new process equals one built from the files, follows what was
appended since, and is dropped when the files changed under it or the cache file is damaged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rft_kit.viewer.cache import default_cache_dir, load_index, save_index
from rft_kit.viewer.index import RunIndex

from .runs import grade


def _same(a: RunIndex, b: RunIndex) -> None:
    sa, sb = a.snapshot(), b.snapshot()
    for name in ("item", "sample_index", "status", "err_kind", "sample_error", "stop_reason", "turns", "label"):
        assert getattr(sa, name).tolist() == getattr(sb, name).tolist(), name
    assert np.array_equal(sa.reward, sb.reward, equal_nan=True)
    assert sa.subs.keys() == sb.subs.keys()
    for name in sa.subs:
        assert np.array_equal(sa.subs[name], sb.subs[name], equal_nan=True)
    assert a.item_ids == b.item_ids
    for column in ("outputs", "errors", "ids", "prompts"):
        assert getattr(a, column).strings == getattr(b, column).strings, column
        assert getattr(a, column).joined == getattr(b, column).joined, column
    assert a.snippet == b.snippet
    assert a.templates.names == b.templates.names
    assert a.bad_lines == b.bad_lines
    assert a.read_sample(3) == b.read_sample(3)


def _append(path: Path, *records: dict[str, object]) -> None:
    with open(path, "a") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in records)


def test_a_saved_index_is_taken_up_and_follows_appends(runs_dir: Path, tmp_path: Path) -> None:
    folder = runs_dir / "demo-strong"
    cache = tmp_path / "cache"
    built = load_index(folder, cache)
    built.refresh()
    assert save_index(built, cache, min_bytes=0)
    assert not save_index(built, cache, min_bytes=1)  # nothing read since
    (folder / "labels.jsonl").write_text(
        json.dumps({"item_id": built.item_ids[0], "sample_index": 0, "labeller": "ada", "verdict": "pass"}) + "\n"
    )
    taken = load_index(folder, cache)
    assert taken.rows == built.rows  # before any refresh: from the cache alone
    taken.refresh()
    built.refresh()
    _same(built, taken)
    assert taken.label_count == 1  # labels are re-read, never cached
    _append(folder / "grades.jsonl", grade("new-item", 0, 0.5, sub_rewards={"vendor": 0.5}))
    taken.refresh()
    fresh = RunIndex(folder)
    fresh.refresh()
    _same(fresh, taken)


def test_a_file_rewritten_since_the_save_starts_the_index_over(runs_dir: Path, tmp_path: Path) -> None:
    folder = runs_dir / "demo-strong"
    cache = tmp_path / "cache"
    index = load_index(folder, cache)
    index.refresh()
    save_index(index, cache, min_bytes=0)
    grades = folder / "grades.jsonl"
    lines = grades.read_text().splitlines(keepends=True)
    # same inode, same first line, longer: but the record before the saved offset changed (a stage redone)
    changed = [lines[0], *[line.replace('"reward": ', '"reward": 0.0, "was": ') for line in lines[1:]], lines[-1]]
    with open(grades, "w") as handle:
        handle.writelines(changed)
    taken = load_index(folder, cache)
    taken.refresh()
    fresh = RunIndex(folder)
    fresh.refresh()
    _same(fresh, taken)
    # the rewritten records, not the saved ones (the last row is graded again by the original last line)
    assert set(taken.snapshot().reward.tolist()[1:-1]) == {0.0}


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b"\x81\xa6format\x01"])
def test_a_damaged_cache_is_ignored(runs_dir: Path, tmp_path: Path, damage: bytes) -> None:
    folder = runs_dir / "demo-base"
    cache = tmp_path / "cache"
    index = load_index(folder, cache)
    index.refresh()
    save_index(index, cache, min_bytes=0)
    (saved,) = cache.iterdir()
    saved.write_bytes(damage)
    taken = load_index(folder, cache)
    assert taken.rows == 0
    taken.refresh()
    _same(index, taken)


def test_the_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RFT_VIEW_CACHE", "off")
    assert default_cache_dir() is None
    monkeypatch.setenv("RFT_VIEW_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("RFT_VIEW_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "rft-kit" / "view"


def test_a_file_rewritten_in_place_with_the_same_ends_starts_over(runs_dir: Path, tmp_path: Path) -> None:
    """Same inode, same length, same first and last bytes, one record in the middle changed: the page checksums
    the cache keeps catch it (the first and last bytes alone would not)."""
    folder = runs_dir / "demo-strong"
    cache = tmp_path / "cache"
    index = load_index(folder, cache)
    index.refresh()
    save_index(index, cache, min_bytes=0)
    grades = folder / "grades.jsonl"
    data = grades.read_bytes()
    middle = data.index(b'"reward": ', len(data) // 2)
    value_end = data.index(b",", middle)
    old = data[middle:value_end]  # '"reward": 1.0' or the like
    new = b'"reward": 0.' + b"5" * (len(old) - len(b'"reward": 0.'))
    assert len(new) == len(old) and new != old
    with open(grades, "r+b") as handle:  # in place: the inode and the size stay
        handle.seek(middle)
        handle.write(new)
    taken = load_index(folder, cache)
    assert taken.rows == index.rows
    taken.refresh()
    fresh = RunIndex(folder)
    fresh.refresh()
    _same(fresh, taken)
    assert fresh.snapshot().reward.tolist() != index.snapshot().reward.tolist()  # the change is in the index


def test_a_grown_run_is_followed_from_the_cache_not_read_again(runs_dir: Path, tmp_path: Path) -> None:
    folder = runs_dir / "demo-strong"
    cache = tmp_path / "cache"
    index = load_index(folder, cache)
    index.refresh()
    save_index(index, cache, min_bytes=0)
    saved = index.read_bytes
    _append(folder / "samples.jsonl", {"item_id": "late", "sample_index": 0, "output_text": "a late Wombat"})
    _append(folder / "grades.jsonl", grade("late", 0, 1.0))
    taken = load_index(folder, cache)
    assert taken.read_bytes == saved  # taken up where the save left off
    batches = {name: taken._tails[name].read_new().values for name in ("samples", "grades")}
    assert [len(values) for values in batches.values()] == [1, 1]  # only the appended lines are read
    taken = load_index(folder, cache)
    taken.refresh()
    assert taken.search("wombat").tolist() == [row == taken.row_of("late", 0) for row in range(taken.rows)]
    fresh = RunIndex(folder)
    fresh.refresh()
    _same(fresh, taken)
