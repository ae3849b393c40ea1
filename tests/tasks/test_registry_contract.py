"""Registry-wide contract: every template's reference answers get the maximum reward from its own grader, sets are
reproducible and random-access, and rows have the RFT shape (docs/architecture.md: records, task generation;
docs/hosted-semantics.md: training rows)."""

from __future__ import annotations

import hashlib
import json
import random
import re
from typing import Any

import pytest

from rft_kit.errors import ConfigError
from rft_kit.tasks import (
    MIXED,
    dumps_item,
    generate,
    get_template,
    known_templates,
    load_template_grader,
)
from rft_kit.tasks.base import between, derive_rng, pick

# The acceptance target: 1,000 items per template, every one graded (rubric_answer's judge calls go to the local
# server concurrently, about 15 s for the 1,000).
DEFAULT_N = 1000
MAX_REWARD = 1.0
USER_EXAMPLES = ["task_templates/examples/shipping_quote.yaml", "task_templates/examples/oncall_lookup.yaml"]
ALL = [*known_templates(), *USER_EXAMPLES]


def test_registry_has_the_eight_domains() -> None:
    assert len(known_templates()) >= 8
    for name in known_templates():
        gen = get_template(name)
        assert gen.name == name
        assert len(gen.levels) >= 3, f"{name} declares fewer than 3 difficulty levels"
        assert gen.default_level in gen.levels
        for level in gen.levels:
            gen.config(level)  # every level is a valid config


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_reference_answers_score_the_maximum(name: str, request: pytest.FixtureRequest) -> None:
    if name == "rubric_answer":
        request.getfixturevalue("judge_env")
    gen = get_template(name)
    grader = load_template_grader(gen)
    n = DEFAULT_N
    items = list(generate(gen, n, seed=2026, difficulty=MIXED if len(gen.levels) > 1 else None))
    failures = []
    for start in range(0, n, 250):
        batch = items[start : start + 250]
        results = grader.grade_batch([gen.reference_sample(i) for i in batch], batch)
        for item, result in zip(batch, results, strict=True):
            if result.status != "scored" or result.reward < MAX_REWARD:
                failures.append((item["id"], result.reward, result.error))
    assert not failures, f"{len(failures)} of {n} references fall short, e.g. {failures[:3]}"
    assert {i["metadata"]["difficulty"] for i in items} == set(gen.levels)


@pytest.mark.parametrize("name", ALL)
def test_same_seed_gives_byte_identical_jsonl_and_other_seeds_differ(name: str) -> None:
    def digest(seed: int) -> str:
        text = "".join(dumps_item(i) + "\n" for i in generate(name, 60, seed=seed, difficulty=None))
        return hashlib.sha256(text.encode()).hexdigest()

    assert digest(11) == digest(11)
    assert digest(11) != digest(12)


@pytest.mark.parametrize("name", ALL)
def test_items_are_random_access(name: str) -> None:
    run = list(generate(name, 30, seed=5, difficulty=MIXED))
    for index in (0, 17, 29):
        (alone,) = generate(name, 1, seed=5, difficulty=MIXED, start=index)
        assert alone == run[index]


@pytest.mark.parametrize("name", ALL)
def test_rows_have_the_rft_shape(name: str) -> None:
    gen = get_template(name)
    items = list(generate(gen, 50, seed=3, difficulty=MIXED))
    assert len({i["id"] for i in items}) == len(items)
    for item in items:
        roles = [m["role"] for m in item["messages"]]
        assert roles[-1] == "user"
        assert set(roles) <= {"developer", "user"}
        assert all(isinstance(m["content"], str) and m["content"].strip() for m in item["messages"])
        meta = item["metadata"]
        assert meta["template"] == gen.name
        assert {"domain", "difficulty", "seed", "index", "version"} <= set(meta)
        assert item["id"] == f"{gen.name}-{meta['difficulty']}-3-{meta['index']}"
        references = set(item) - {"id", "messages", "tools", "metadata"}
        assert references, "an item without reference fields cannot be graded"
        json.dumps(item, allow_nan=False)  # plain JSON, no NaN, no custom types


@pytest.mark.parametrize("name", known_templates())
def test_prompts_are_real_tasks_not_placeholders(name: str) -> None:
    for item in generate(name, 40, seed=9, difficulty=MIXED):
        text = " ".join(m["content"] for m in item["messages"])
        # an unfilled str.format slot ("{product}") or template placeholder would reach the model verbatim
        assert not re.search(r"\{\{|\{[a-z_]+\}", text), text
        assert len(item["messages"][-1]["content"].split()) >= 8


def test_levels_change_the_items() -> None:
    for name in known_templates():
        easy = [i["messages"] for i in generate(name, 20, seed=1, difficulty="easy")]
        hard = [i["messages"] for i in generate(name, 20, seed=1, difficulty="hard")]
        assert easy != hard, name


def test_overrides_are_validated_and_do_not_reuse_level_ids() -> None:
    plain = next(generate("arithmetic_word", 1, seed=0, difficulty="medium"))
    custom = next(generate("arithmetic_word", 1, seed=0, difficulty="medium", overrides={"max_steps": 6}))
    assert custom["id"] != plain["id"]
    with pytest.raises(ConfigError) as err:
        next(generate("arithmetic_word", 1, overrides={"min_steps": 0}))
    assert err.value.path == "min_steps"
    with pytest.raises(ConfigError, match="did you mean 'max_steps'"):
        next(generate("arithmetic_word", 1, overrides={"max_stepz": 3}))


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(ConfigError) as err:
        get_template("ticket_routng")
    assert "did you mean 'ticket_routing'" in str(err.value)
    assert "arithmetic_word" in str(err.value)
    with pytest.raises(ConfigError, match="did you mean 'hard'"):
        next(generate("ticket_routing", 1, difficulty="hrd"))


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("ticket_routing", "typo_rate", 1.5),
        ("ticket_routing", "labels", ("refund", "sales")),
        ("contract_clauses", "heading", "maybe"),
        ("invoice_extraction", "max_lines", 0),
        ("tool_calling", "catalogue_size", 0),
        ("code_synthesis", "examples_shown", 99),
        ("constrained_rewrite", "bullets", 9),
        ("rubric_answer", "word_limit", 20),
    ],
)
def test_bad_config_values_name_the_field(name: str, field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as err:
        get_template(name).config("medium", **{field: value})
    assert err.value.path == field


def test_derive_rng_is_the_items_stream() -> None:
    gen = get_template("contract_clauses")
    config = gen.config("hard")
    item = next(generate(gen, 1, seed=4, difficulty="hard", start=9))
    assert gen.draft(derive_rng(gen.name, "hard", 4, 9), config).messages == item["messages"]


def test_fast_choice_helpers_cover_their_range() -> None:
    rng = random.Random(0)
    assert {pick(rng, "abc") for _ in range(300)} == {"a", "b", "c"}
    assert {between(rng, -2, 2) for _ in range(300)} == {-2, -1, 0, 1, 2}
