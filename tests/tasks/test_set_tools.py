"""Set-level tools: near-duplicate-safe splits, band selection, statistics, Hugging Face export, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rapidfuzz import fuzz
from typer.testing import CliRunner

from rft_kit.cli import app
from rft_kit.tasks import MIXED, generate, select_items, set_stats, split_items
from rft_kit.tasks.split import user_text

runner = CliRunner()


def with_near_duplicates(n: int = 400) -> list[dict]:
    items = list(generate("invoice_extraction", n, seed=1, difficulty=MIXED))
    copies = []
    for item in items[:: n // 40]:
        copy = json.loads(json.dumps(item))
        copy["id"] += "-copy"
        copy["messages"][-1]["content"] = copy["messages"][-1]["content"].replace("Invoice date", "Invoice Date", 1)
        copies.append(copy)
    return items + copies


def test_no_near_duplicate_crosses_the_split() -> None:
    items = with_near_duplicates()
    result = split_items(items, 0.8, seed=3)
    assert abs(len(result.valid) - 0.2 * len(items)) <= 10
    assert result.grouped_items >= 80  # the 40 planted pairs were all found
    worst = max(fuzz.ratio(user_text(a), user_text(b)) for a in result.train for b in result.valid)
    assert worst < 95.0
    valid_ids = {i["id"] for i in result.valid}
    for item in items:
        if item["id"].endswith("-copy"):
            assert (item["id"] in valid_ids) == (item["id"].removesuffix("-copy") in valid_ids)


def test_split_is_deterministic_and_seeded() -> None:
    items = list(generate("ticket_routing", 300, seed=2, difficulty=MIXED))
    first = [i["id"] for i in split_items(items, 0.9, seed=1).valid]
    assert first == [i["id"] for i in split_items(items, 0.9, seed=1).valid]
    assert first != [i["id"] for i in split_items(items, 0.9, seed=2).valid]
    with pytest.raises(ValueError, match="between 0 and 1"):
        split_items(items, 1.0)


def test_select_keeps_the_band_and_explains_every_decision() -> None:
    items = [{"id": f"t{i}"} for i in range(5)]
    grades = [
        *({"item_id": "t0", "sample_index": k, "reward": 1.0, "status": "scored"} for k in range(4)),
        *({"item_id": "t1", "sample_index": k, "reward": float(k % 2), "status": "scored"} for k in range(4)),
        *({"item_id": "t2", "sample_index": k, "reward": 0.0, "status": "scored"} for k in range(4)),
        {"item_id": "t3", "sample_index": 0, "reward": 0.0, "status": "error"},
        {"item_id": "t3", "sample_index": 1, "reward": 1.0, "status": "scored"},
        {"item_id": "t4", "sample_index": 0, "reward": 0.0, "status": "error"},
    ]
    selection = select_items(items, grades, (0.1, 0.9))
    assert [i["id"] for i in selection.kept] == ["t1"]
    reasons = {d["id"]: d["reason"] for d in selection.decisions}
    assert reasons == {
        "t0": "above_band",
        "t1": "in_band",
        "t2": "below_band",
        "t3": "above_band",
        "t4": "too_few_samples",
    }
    zero = select_items(items, grades, (0.1, 0.9), errors_as_zero=True)
    assert [i["id"] for i in zero.kept] == ["t1", "t3"]


def test_stats_report_mix_balance_and_lengths() -> None:
    stats = set_stats(generate("ticket_routing", 400, seed=1, difficulty=MIXED))
    assert stats["items"] == 400
    assert set(stats["difficulty"]) == {"easy", "medium", "hard"}
    assert sum(v["count"] for v in stats["labels"].values()) == 400
    assert stats["prompt_words"]["min"] <= stats["prompt_words"]["median"] <= stats["prompt_words"]["max"]
    assert stats["reference_fields"] == {"label": 400}
    assert stats["duplicate_prompts"] == 0


def test_hf_round_trip_restores_the_rows(tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    from datasets import load_from_disk

    from rft_kit.tasks.hf import from_hf_dataset, save_hf_dataset

    items = list(generate("tool_calling", 30, seed=1, difficulty=MIXED)) + list(generate("arithmetic_word", 30))
    save_hf_dataset({"train": items}, tmp_path / "hf")
    restored = from_hf_dataset(load_from_disk(str(tmp_path / "hf"))["train"])
    assert [json.dumps(i) for i in restored] == [json.dumps(i) for i in items]


def test_cli_generate_split_stats_and_select(tmp_path: Path) -> None:
    out = tmp_path / "tasks.jsonl"
    result = runner.invoke(
        app, ["generate", "arithmetic_word", "-n", "50", "--seed", "4", "--difficulty", "mixed", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert [json.loads(line)["metadata"]["index"] for line in lines] == list(range(50))
    again = runner.invoke(
        app, ["generate", "arithmetic_word", "-n", "50", "--seed", "4", "--difficulty", "mixed", "-q"]
    )
    assert again.stdout.splitlines() == lines  # stdout JSONL is byte-identical to the file

    split = runner.invoke(
        app, ["generate", "ticket_routing", "-n", "100", "-o", str(tmp_path / "t.jsonl"), "--split", "0.9", "-q"]
    )
    assert split.exit_code == 0, split.output
    assert (
        len((tmp_path / "t.train.jsonl").read_text().splitlines())
        + len((tmp_path / "t.valid.jsonl").read_text().splitlines())
        == 100
    )

    stats = runner.invoke(app, ["stats", str(out), "--json"])
    assert json.loads(stats.stdout)["items"] == 50

    grades = tmp_path / "grades.jsonl"
    ids = [json.loads(line)["id"] for line in lines]
    grades.write_text(
        "".join(
            json.dumps({"item_id": i, "sample_index": k, "reward": float(n % 3 == 0 or k == 0), "status": "scored"})
            + "\n"
            for n, i in enumerate(ids)
            for k in range(3)
        )
    )
    selected = tmp_path / "selected.jsonl"
    sel = runner.invoke(
        app, ["select", "--grades", str(grades), "--tasks", str(out), "--band", "0.1", "0.9", "-o", str(selected)]
    )
    assert sel.exit_code == 0, sel.output
    kept = [json.loads(line)["id"] for line in selected.read_text().splitlines()]
    assert kept == [i for n, i in enumerate(ids) if n % 3 != 0]


def test_cli_templates_json_and_errors() -> None:
    listed = json.loads(runner.invoke(app, ["templates", "--json"]).stdout)
    assert {t["name"] for t in listed} >= {"arithmetic_word", "tool_calling", "rubric_answer"}
    assert all(len(t["levels"]) >= 3 and t["grader"] for t in listed)
    bad = runner.invoke(app, ["generate", "arithmetc_word", "-n", "1"])
    assert bad.exit_code == 2 and "did you mean 'arithmetic_word'" in bad.output
    bad_set = runner.invoke(app, ["generate", "arithmetic_word", "-n", "1", "--set", "max_steps=0"])
    assert bad_set.exit_code == 2 and "max_steps" in bad_set.output
