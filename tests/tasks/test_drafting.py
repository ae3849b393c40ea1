"""Model-assisted drafting (``rft generate --from-docs``) against the local OpenAI-compatible server.

The server's simulated drafter (rft_kit/local_openai/simulated_drafter.py) drafts clean fill-in-the-blank items plus one
of each defect a real model produces; every filter must catch its defect, keep the clean items, and say why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rft_kit.local_openai.simulated_judge as simulated
from rft_kit.cli import app
from rft_kit.errors import ConfigError
from rft_kit.local_openai.simulated_drafter import drafter_verdict
from rft_kit.tasks.drafting import draft_from_docs, load_spec

LEAVE = """# Annual leave policy

Full-time employees accrue 25 days of paid annual leave per year. Up to 5 unused days may be carried over.
Leave must be requested at least 14 days in advance through the HR portal. Part-time staff accrue leave pro rata.
"""
EXPENSES = """Travel expenses are reimbursed within 30 days of an approved claim.
Hotel costs are capped at 180 euros per night. Meals are covered up to 45 euros per day.
"""
SPEC = """\
name: handbook_qa
model: sim-judge
developer_prompt: Answer the question from the document. Reply with the answer only.
items_per_document: 3
answer_format: {fmt}
"""


@pytest.fixture
def drafter_server(judge_env: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Route drafting requests to the simulated drafter, as the hook in simulated._verdict will once installed."""
    original = simulated._verdict
    if "drafter_verdict" not in original.__code__.co_names:

        def with_drafter(schema, prompt, last_user):  # type: ignore[no-untyped-def]
            drafted = drafter_verdict(schema, prompt)
            return drafted if drafted is not None else original(schema, prompt, last_user)

        monkeypatch.setattr(simulated, "_verdict", with_drafter)


def setup(tmp_path: Path, fmt: str = "short") -> tuple[Path, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "leave.md").write_text(LEAVE)
    (docs / "expenses.txt").write_text(EXPENSES)
    (docs / "ignored.pdf").write_text("not read")
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(fmt=fmt))
    return docs, spec


def test_every_filter_catches_its_defect_and_clean_items_are_kept(tmp_path: Path, drafter_server: None) -> None:
    docs, spec = setup(tmp_path)
    summary = draft_from_docs(docs, spec, tmp_path / "tasks.jsonl", seed=3)
    report = [json.loads(line) for line in (tmp_path / "tasks.report.jsonl").read_text().splitlines()]
    kept = [json.loads(line) for line in (tmp_path / "tasks.jsonl").read_text().splitlines()]
    assert summary.documents == 2 and summary.drafted == len(report) == 2 * (3 + 6)
    per_doc = {"kept": 3, "judge_disagrees": 1, "duplicate": 1, "near_duplicate": 1, "unsupported_evidence": 1,
               "unanswerable": 1, "schema_invalid": 1}  # fmt: skip
    assert dict(summary.reasons) == {k: 2 * v for k, v in per_doc.items()}
    assert all(r["reason"] and ("detail" in r) for r in report)
    assert {r["id"] for r in report if r["kept"]} == {i["id"] for i in kept}
    for item in kept:
        assert item["answer"] in item["evidence"]
        assert item["evidence"] in " ".join((LEAVE + EXPENSES).split())
        assert [m["role"] for m in item["messages"]] == ["developer", "user"]
        assert item["metadata"]["template"] == "from_docs:handbook_qa"
    assert next(r for r in report if r["reason"] == "duplicate")["detail"].startswith("same question as handbook_qa-3-")


def test_number_answers_are_schema_checked(tmp_path: Path, drafter_server: None) -> None:
    docs, spec = setup(tmp_path, fmt="number")
    summary = draft_from_docs(docs, spec, tmp_path / "tasks.jsonl")
    assert summary.reasons["schema_invalid"] == 4  # the missing answer, and the first word that is not a number
    assert summary.reasons["judge_disagrees"] == 0
    assert summary.kept == 6


def test_drafting_is_reproducible(tmp_path: Path, drafter_server: None) -> None:
    docs, spec = setup(tmp_path)
    draft_from_docs(docs, spec, tmp_path / "a.jsonl", seed=1)
    draft_from_docs(docs, spec, tmp_path / "b.jsonl", seed=1)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_cli_from_docs(tmp_path: Path, drafter_server: None) -> None:
    docs, spec = setup(tmp_path)
    out = tmp_path / "drafted.jsonl"
    result = CliRunner().invoke(app, ["generate", "--from-docs", str(docs), "--spec", str(spec), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "kept 6" in result.output and (tmp_path / "drafted.report.jsonl").is_file()


def test_bad_specs_name_the_field(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(fmt="prose"))
    with pytest.raises(ConfigError) as err:
        load_spec(spec)
    assert "answer_format" in str(err.value) and "spec.yaml:5" in str(err.value)
    spec.write_text(SPEC.format(fmt="short").replace("model: sim-judge\n", ""))
    with pytest.raises(ConfigError, match="'model' is a required property"):
        load_spec(spec)
    spec.write_text(SPEC.format(fmt="short"))
    with pytest.raises(ConfigError, match=r"no \.md/\.txt documents"):
        draft_from_docs(tmp_path / "nowhere", spec, tmp_path / "x.jsonl")
