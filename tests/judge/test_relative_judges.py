"""ranking_judge, pairwise_judge, ensembles and the context budget through the real SDK against the local server
(HTTP, SIMULATED judge): every failure mode of issue 16 is caught as described."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rft_kit.graders.base import Grader
from rft_kit.grading import grade
from rft_kit.local_openai import LocalServer

from .conftest import chat_requests, score_config

CRITERIA = "names Paris as the capital of France"
ITEM = {"id": "q1", "prompt": "What is the capital of France?"}
GROUP = [
    "Paris is the capital of France.",
    "I think it is Lyon.",
    "Paris is the capital of France.",
    "The capital: Paris.",
    "No idea.",
    "France has Paris as capital city.",
    "Lyon, probably.",
    "Paris.",
]


def ranking(model: str = "sim-judge", **extra: Any) -> dict[str, Any]:
    return {"type": "ranking_judge", "name": "rank", "model": model, "criteria": CRITERIA, **extra}


def test_ranking_makes_one_call_per_group_and_scores_identical_samples_identically(
    make: Callable[..., Grader], server: LocalServer
) -> None:
    grader = make(ranking())
    results = grader.grade_batch(GROUP, [ITEM] * len(GROUP))
    assert chat_requests(server) == 1
    assert all(r.status == "scored" for r in results)
    assert results[0].reward == results[2].reward == 1.0  # identical samples, shown once
    assert results[0].metadata["distinct_answers"] == 7
    assert results[1].reward < results[0].reward and results[4].reward < results[0].reward
    assert all(0.0 <= r.reward <= 1.0 for r in results)
    # the group's tokens are charged once
    assert sum(1 for r in results if r.token_usage) == 1


def test_ranking_groups_by_item_in_one_batch(make: Callable[..., Grader], server: LocalServer) -> None:
    other = {"id": "q2", "prompt": "Capital of Italy?"}
    items = [ITEM, other, ITEM, other]
    results = make(ranking()).grade_batch(["Paris.", "Rome.", "Lyon.", "Milan."], items)
    assert chat_requests(server) == 2
    assert [r.metadata["group_size"] for r in results] == [2, 2, 2, 2]


def test_wrong_number_or_ids_of_scores_is_an_error_for_the_whole_group(make: Callable[..., Grader]) -> None:
    for flag, words in (("wrong-count", "6 scores for 7 candidates"), ("wrong-ids", "not a candidate id 1..7")):
        results = make(ranking(f"sim-judge+{flag}")).grade_batch(GROUP, [ITEM] * len(GROUP))
        assert all(r.status == "error" for r in results), flag
        assert all(r.error is not None and r.error.flag == "model_grader_parse_error" for r in results)
        assert results[0].error is not None and words in results[0].error.message


def test_shuffle_is_undone_exactly_against_a_position_biased_judge(make: Callable[..., Grader]) -> None:
    # +position-bias gives candidate 1 (the one SHOWN first) score 1: after unshuffling, exactly the samples
    # whose answer was shown first carry that 1.0, whichever input position they had.
    for seed in range(4):
        results = make(ranking("sim-judge+position-bias", seed=seed)).grade_batch(
            GROUP[1:2] + GROUP[4:5] + GROUP[6:7], [ITEM] * 3
        )
        shown_first = [r for r in results if r.metadata["shown_as"] == [1]]
        assert len(shown_first) == 1 and shown_first[0].reward == 1.0
    orders = {
        tuple(r.metadata["shown_as"][0] for r in make(ranking(seed=s)).grade_batch(GROUP, [ITEM] * 8)) for s in range(6)
    }
    assert len(orders) > 1  # the seed changes the shown order


def test_rft_grade_keeps_groups_whole_across_batches(make: Callable[..., Grader], tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    items = tmp_path / "items.jsonl"
    rows = [{"item_id": f"q{n % 3}", "sample_index": n, "output_text": f"Paris answer {n}"} for n in range(9)]
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    items.write_text("".join(json.dumps({"id": f"q{n}", "prompt": "capital?"}) + "\n" for n in range(3)))
    summary = grade(make(ranking()), samples, items, batch_size=4)
    assert summary.error_rate == 0
    assert {r["metadata"]["group_size"] for r in summary.records} == {3}


def pairwise(model: str = "sim-judge") -> dict[str, Any]:
    return {
        "type": "pairwise_judge",
        "name": "pair",
        "model": model,
        "criteria": CRITERIA,
        "reference": "{{item.reference_answer}}",
    }


def test_pairwise_flags_a_position_biased_judge(make: Callable[..., Grader], server: LocalServer) -> None:
    item = {**ITEM, "reference_answer": "It is Lyon."}
    fair = make(pairwise()).grade("Paris is the capital of France.", item)
    assert fair.reward == 1.0 and fair.metadata["position_inconsistent"] is False
    assert chat_requests(server) == 2  # both orders
    biased = make(pairwise("sim-judge+position-bias")).grade("Paris is the capital of France.", item)
    assert biased.reward == 0.5 and biased.metadata["position_inconsistent"] is True
    assert biased.metadata["verdicts"] == {"sample_as_A": "A", "sample_as_B": "A"}


def test_ensemble_records_members_and_disagreement(make: Callable[..., Grader]) -> None:
    config = score_config(rft_options={"ensemble": {"models": ["sim-judge", "sim-judge+verbose"], "reducer": "mean"}})
    result = make(config).grade("Paris it is, the capital city", {"reference_answer": "Paris"})
    members = result.metadata["ensemble"]["members"]
    assert [m["model"] for m in members] == ["sim-judge", "sim-judge+verbose"]
    assert result.reward == (members[0]["reward"] + members[1]["reward"]) / 2
    assert result.metadata["ensemble"]["disagreement"] == abs(members[1]["reward"] - members[0]["reward"]) > 0
    refusing = score_config(rft_options={"ensemble": {"models": ["sim-judge", "sim-judge+refuse"]}})
    failed = make(refusing).grade("Paris", {"reference_answer": "Paris"})
    assert failed.status == "error" and failed.error is not None and "sim-judge+refuse" in failed.error.message
    majority = score_config(
        rft_options={"ensemble": {"models": ["sim-judge", "gpt-4o", "sim-judge+verbose"], "reducer": "majority"}}
    )
    voted = make(majority).grade("Paris it is, the capital city", {"reference_answer": "Paris"})
    assert voted.reward == members[0]["reward"] and abs(voted.metadata["ensemble"]["disagreement"] - 1 / 3) < 1e-9


def test_long_inputs_are_cut_keeping_the_final_answer_or_recorded_as_errors(make: Callable[..., Grader]) -> None:
    long_answer = " ".join(["filler"] * 3000) + " Final answer: Paris"
    cut = make(score_config(), context_budget=400).grade(long_answer, {"reference_answer": "Final answer: Paris"})
    assert cut.status == "scored" and cut.reward > 0
    assert cut.metadata["truncated"]["prompt_tokens_before"] > 3000 >= 400 >= cut.metadata["truncated"]["after"]
    refused = make(score_config(), context_budget=400, overflow="error").grade(
        long_answer, {"reference_answer": "Paris"}
    )
    assert refused.status == "error" and refused.error is not None
    assert refused.error.flag == "truncated_observation_error" and "context_budget = 400" in refused.error.message
    group = make(ranking(), context_budget=600).grade_batch([long_answer, "Lyon"], [ITEM, ITEM])
    assert all(r.status == "scored" for r in group) and group[0].metadata["truncated"]["after"] <= 600


def test_report_shows_the_position_consistency_rate(make: Callable[..., Grader], tmp_path: Path) -> None:
    from rft_kit.report.build import build_report
    from rft_kit.report.collect import collect_run
    from rft_kit.report.markdown import render_markdown

    items = [{"id": f"q{n}", "prompt": "capital?", "reference_answer": "Lyon"} for n in range(4)]
    samples = ["Paris is the capital of France."] * 4
    biased = make(pairwise("sim-judge+position-bias"))
    fair = make(pairwise())
    run = tmp_path / "run"
    run.mkdir()
    grades = [biased.grade(s, i) for s, i in zip(samples[:1], items[:1], strict=True)]
    grades += [fair.grade(s, i) for s, i in zip(samples[1:], items[1:], strict=True)]
    with (run / "grades.jsonl").open("w") as out:
        for n, result in enumerate(grades):
            out.write(json.dumps({"key": f"q{n}#0", "item_id": f"q{n}", "sample_index": 0, **result.to_dict()}) + "\n")
    report = build_report(collect_run(run))
    assert report["position_consistency"] == {"judged": 4, "inconsistent": 1, "rate": 0.75}
    assert "75.0% of 4 pairwise verdicts held in both orders" in render_markdown(report)


def test_calibration_covers_ranking_and_pairwise_judges(make: Callable[..., Grader]) -> None:
    from rft_kit.calibration.run import run_calibration

    rows = [
        {"item": ITEM, "sample": "Paris is the capital of France.", "label": 1.0},
        {"item": ITEM, "sample": "Lyon.", "label": 0.0},
        {"item": ITEM, "sample": "The capital: Paris.", "label": 0.8},
    ]
    ranked = run_calibration(make(ranking()), rows, repeats=3)
    assert ranked["graded"] == 3 and ranked["flip_rate"] == 0.0 and ranked["spearman"] == 1.0
    biased = run_calibration(make(ranking("sim-judge+position-bias")), rows, repeats=4)
    assert biased["flip_rate"] > 0  # the reshuffle per repeat exposes the order dependence
    paired = [{**r, "item": {**ITEM, "reference_answer": "Lyon"}} for r in rows]
    report = run_calibration(make(pairwise("sim-judge+position-bias")), paired)
    assert report["position_consistency"] == 0.0
    assert report["worst_disagreements"][0]["human"] in (1.0, 0.0)


def test_trl_reward_functions_pass_ranking_the_group_of_each_prompt(
    make: Callable[..., Grader], server: LocalServer
) -> None:
    from rft_kit.integrations.trl import reward_funcs

    (reward,) = reward_funcs(make(ranking()))
    # a GRPO batch: 2 prompts x 3 generations, interleaved as TRL lays them out (num_generations per prompt)
    prompts = ["What is the capital of France?"] * 3 + ["Capital of Italy?"] * 3
    completions = ["Paris is the capital of France.", "Lyon.", "Paris.", "Rome.", "Milan.", "Rome."]
    rewards = reward(prompts=prompts, completions=completions)
    assert chat_requests(server) == 2  # one judge call per prompt's group
    assert rewards[0] == 1.0 and rewards[3] == rewards[5]
    assert all(r is not None and 0.0 <= r <= 1.0 for r in rewards)


def test_a_long_trajectory_loses_middle_turns_keeping_the_task_and_the_final_answer(
    make: Callable[..., Grader],
) -> None:
    from rft_kit.graders.judge_base import JudgeGrader
    from rft_kit.records import Sample

    config = score_config()
    config["input"][1]["content"] = (
        "Reference: {{item.reference_answer}}. Transcript: {{sample.trajectory}}. Model answer: {{sample.output_text}}"
    )
    grader = make(config, context_budget=300)
    assert isinstance(grader, JudgeGrader)
    turns = [{"role": "user", "content": "Book the cheapest flight."}]
    turns += [{"role": "tool", "content": " ".join(["search result"] * 20)} for _ in range(30)]
    turns += [{"role": "assistant", "content": "Booked flight LH 123."}]
    sample = Sample(output_text="Booked flight LH 123.", trajectory=turns)
    fitted, info = grader._fit(sample, {"reference_answer": "LH 123"})
    assert fitted.trajectory is not None and info is not None and info["turns_dropped"] > 0
    assert fitted.trajectory[0] == turns[0] and fitted.trajectory[-1] == turns[-1]
    result = grader.grade(sample, {"reference_answer": "LH 123"})
    assert result.status == "scored" and result.metadata["truncated"]["turns_dropped"] == info["turns_dropped"]


def test_label_model_ensemble_majority(make: Callable[..., Grader]) -> None:
    from .conftest import label_config

    config = label_config(
        rft_options={"ensemble": {"models": ["sim-judge", "gpt-4o", "o3-mini"], "reducer": "majority"}}
    )
    result = make(config).grade("This is great, thanks!", {})
    assert result.reward == 1.0 and result.metadata["ensemble"]["disagreement"] == 0.0
    assert [m["metadata"]["label"] for m in result.metadata["ensemble"]["members"]] == ["positive"] * 3


def test_ranking_ensemble_and_refusal(make: Callable[..., Grader], server: LocalServer) -> None:
    config = ranking(rft_options={"ensemble": {"models": ["sim-judge", "sim-judge+verbose"], "reducer": "mean"}})
    results = make(config).grade_batch(GROUP[:4], [ITEM] * 4)
    assert chat_requests(server) == 2  # one call per model for the group
    for result in results:
        members = result.metadata["ensemble"]["members"]
        assert [m["model"] for m in members] == ["sim-judge", "sim-judge+verbose"]
        assert abs(result.reward - (members[0]["reward"] + members[1]["reward"]) / 2) < 1e-12
    refused = make(ranking("sim-judge+refuse")).grade_batch(GROUP[:3], [ITEM] * 3)
    assert all(r.status == "error" and r.error is not None for r in refused)
    assert {r.error.flag for r in refused if r.error} == {"model_grader_refusal_error"}


def test_rft_grade_baseline_run_as_the_pairwise_reference(server: LocalServer, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rft_kit.cli import app

    grader = tmp_path / "pair.yaml"
    config = {**pairwise(), "reference": "{{item.baseline_output}}", "rft_options": {"base_url": server.base_url}}
    grader.write_text(json.dumps(config))
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps({"id": f"q{n}", "prompt": "Capital of France?"}) + "\n" for n in range(3)))
    baseline = tmp_path / "baseline.jsonl"
    baseline.write_text(
        "".join(json.dumps({"item_id": f"q{n}", "sample_index": 0, "output_text": "Lyon."}) + "\n" for n in range(2))
    )
    samples = tmp_path / "samples.jsonl"
    samples.write_text(
        "".join(
            json.dumps({"item_id": f"q{n}", "sample_index": 0, "output_text": "Paris is the capital of France."}) + "\n"
            for n in range(3)
        )
    )
    out = tmp_path / "grades.jsonl"
    result = CliRunner().invoke(
        app, ["grade", str(grader), "-s", str(samples), "-i", str(items), "--baseline", str(baseline), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    grades = {g["item_id"]: g for g in map(json.loads, out.read_text().splitlines())}
    assert grades["q0"]["reward"] == 1.0 and grades["q1"]["reward"] == 1.0
    assert grades["q2"]["status"] == "error" and "baseline_output" in grades["q2"]["error"]["message"]


def test_pairwise_ensemble_and_a_verbose_judge(make: Callable[..., Grader]) -> None:
    item = {**ITEM, "reference_answer": "Paris."}
    padded = "Well, let me think about this at some length before answering: " * 3 + "it is Lyon."
    verbose = make(pairwise("sim-judge+verbose")).grade(padded, item)
    assert verbose.reward == 1.0  # the verbose judge prefers the longer, wrong answer in both orders ...
    fair = make(pairwise()).grade(padded, item)
    assert fair.reward < 0.5  # ... the criteria-reading judge does not
    config = {
        **pairwise(),
        "rft_options": {"ensemble": {"models": ["sim-judge", "sim-judge+verbose"], "reducer": "mean"}},
    }
    both = make(config).grade(padded, item)
    members = both.metadata["ensemble"]["members"]
    assert [m["reward"] for m in members] == [fair.reward, 1.0]
    assert both.metadata["ensemble"]["disagreement"] == 1.0 - fair.reward
