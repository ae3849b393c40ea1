"""Text search: what the search columns find equals a brute-force scan of the records, however the rows arrived
(in one batch, appended a few at a time with torn lines, replaced, or taken up from the index cache)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rft_kit.viewer.cache import load_index, save_index
from rft_kit.viewer.index import RunIndex
from rft_kit.viewer.search import SearchColumn, clean

from .runs import grade

# few letters, so needles often match; NUL, case pairs and characters whose lower case is longer or different
ALPHABET = "abAB \n\0İßΣσ{}\"'<"
texts = st.text(alphabet=ALPHABET, max_size=12)
needles = st.text(alphabet=ALPHABET, max_size=3)


def _brute(strings: list[str], needle: str) -> list[bool]:
    """The definition: case-insensitive (both sides lower-cased), NUL ignored on both sides."""
    wanted = needle.lower().replace("\0", "")
    return [wanted in text.lower().replace("\0", "") for text in strings]


@given(
    batches=st.lists(st.lists(texts, max_size=6), max_size=8),
    changes=st.lists(st.tuples(st.integers(min_value=0), texts), max_size=6),
    needle=needles,
)
def test_a_column_finds_what_a_scan_finds(
    batches: list[list[str]], changes: list[tuple[int, str]], needle: str
) -> None:
    column = SearchColumn()
    shadow: list[str] = []
    for n, batch in enumerate(batches):
        column.extend(len(batch))
        for offset, text in enumerate(batch):
            column.set(len(shadow) + offset, clean(text))
        shadow.extend(batch)
        for where, text in changes[n : n + 1]:
            if shadow:
                row = where % len(shadow)
                column.set(row, clean(text))  # a re-sampled row
                shadow[row] = text
    assert column.search(clean(needle)).tolist() == _brute(shadow, needle)
    assert column.joined == "\0".join(clean(text) for text in shadow)
    taken = SearchColumn.from_joined(column.joined, len(shadow))
    assert taken.search(clean(needle)).tolist() == _brute(shadow, needle)


def _write(path: Path, records: list[dict[str, Any]], torn: str = "") -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record) + "\n" for record in records)
        handle.write(torn)


run_records = st.lists(
    st.tuples(
        st.text(alphabet="ab-Cc", min_size=1, max_size=4),  # item id
        st.integers(min_value=0, max_value=2),  # sample index
        texts,  # output
        st.one_of(st.none(), texts),  # grading error message
        texts,  # prompt
    ),
    max_size=14,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=run_records, split=st.integers(min_value=0, max_value=14), needle=needles, data=st.data())
def test_index_search_equals_a_scan_of_the_records(
    tmp_path_factory: Any, records: list[tuple[str, int, str, str | None, str]], split: int, needle: str, data: Any
) -> None:
    """A run written in two parts (the first ending in a torn line, completed before the second), indexed as it
    grows, then saved to the cache and taken up: every search answers what a scan of the last record per sample
    says."""
    folder = tmp_path_factory.mktemp("run")
    cache = folder / "cache"
    tasks, samples, grades = folder / "tasks.jsonl", folder / "samples.jsonl", folder / "grades.jsonl"
    for path in (tasks, samples, grades):
        path.touch()
    index = RunIndex(folder)
    parts = [records[:split], records[split:]]
    for n, part in enumerate(parts):
        torn = '{"item_id": "torn", "output_text": "ab' if n == 0 else ""
        if n == 1:
            with open(samples, "a") as handle:
                handle.write('bb", "sample_index": 0}\n')  # the torn line completed: now a record
        prompts_written = [{"id": item, "messages": [{"role": "user", "content": p}]} for item, _, _, _, p in part]
        _write(tasks, prompts_written)
        _write(samples, [{"item_id": item, "sample_index": i, "output_text": out} for item, i, out, _, _ in part], torn)
        graded = []
        for item, i, _, error, _ in part:
            if error is None:
                graded.append(grade(item, i, 1.0))
            else:
                graded.append(grade(item, i, 0.0, status="error", error={"kind": "parse", "message": error}))
        _write(grades, graded)
        index.refresh()
        if n == 0:  # the torn line is not a row yet
            assert ("torn", 0) not in {(index.item_ids[int(i)], 0) for i in index.snapshot().item}
    # what each field is, by the last record that set it
    outputs: dict[tuple[str, int], str] = {}
    errors: dict[tuple[str, int], str] = {}
    prompts: dict[str, str] = {}
    for item, i, out, error, prompt in records:
        outputs[(item, i)] = out
        errors[(item, i)] = error or ""
        prompts[item] = prompt
    outputs[("torn", 0)] = "abbb"
    errors.setdefault(("torn", 0), "")
    snap = index.snapshot()
    keys = [(index.item_ids[int(item)], int(i)) for item, i in zip(snap.item, snap.sample_index, strict=True)]
    assert sorted(keys) == sorted(outputs)
    wanted = needle.lower().replace("\0", "")

    def scan() -> list[bool]:
        return [
            any(wanted in clean(text) for text in (outputs[key], errors[key], key[0], prompts.get(key[0], "")))
            for key in keys
        ]

    assert index.search(needle).tolist() == scan()
    save_index(index, cache, min_bytes=0)
    taken = load_index(folder, cache)
    taken.refresh()
    assert taken.search(needle).tolist() == scan()
    other = data.draw(needles)  # a second search of the same session
    wanted = other.lower().replace("\0", "")
    assert index.search(other).tolist() == scan()


def test_prompts_of_any_message_shape_are_searched(tmp_path: Path) -> None:
    """Messages decode into structs for speed; a file with a message that is not an object (or a content that is a
    list of parts) is still read, and each prompt's text is searched."""
    folder = tmp_path / "run"
    folder.mkdir()
    tasks = [
        {"id": "plain", "messages": [{"role": "user", "content": "Name a Zebra"}]},
        {"id": "parts", "messages": [{"role": "user", "content": [{"type": "input_text", "text": "an Okapi"}]}]},
        {"id": "odd", "messages": ["not a message", {"content": "a Quokka"}]},
        {"id": "none", "messages": None},
    ]
    _write(folder / "tasks.jsonl", tasks)
    _write(folder / "samples.jsonl", [{"item_id": t["id"], "sample_index": 0, "output_text": ""} for t in tasks])
    index = RunIndex(folder)
    index.refresh()
    assert index.bad_lines["tasks"] == 0
    ids = [index.item_ids[int(item)] for item in index.snapshot().item]
    for needle, item in (("zebra", "plain"), ("okapi", "parts"), ("quokka", "odd")):
        assert index.search(needle).tolist() == [i == item for i in ids], needle
