"""TRL reward functions: the GRPO calling convention, batching, pickling, errors as None, and a real GRPOTrainer run."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import pytest

from rft_kit import load_grader
from rft_kit.export.trl import export_trl, trl_records
from rft_kit.integrations.trl import GraderReward, RewardConfigError, completion_sample, reward_funcs

REPO = Path(__file__).resolve().parents[2]
EXACT = {
    "type": "string_check",
    "name": "exact",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "operation": "eq",
}
MULTI = {
    "type": "multi",
    "name": "combo",
    "graders": {
        "exact": EXACT,
        "has": {**EXACT, "name": "has", "operation": "like"},
    },
    "calculate_output": "0.5 * exact + 0.5 * has",
}


def _rows(n: int) -> list[dict]:
    return [
        {
            "id": f"q{i}",
            "messages": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": f"{i}+{i}?"}],
            "answer": str(2 * i),
        }
        for i in range(n)
    ]


def test_standard_format_with_dataset_columns():
    (fn,) = reward_funcs(EXACT)
    rewards = fn(
        prompts=["p"] * 3,
        completions=["4", "5", "6"],
        completion_ids=[[1], [2], [3]],
        answer=["4", "4", "6"],
        trainer_state=object(),
    )
    assert rewards == [1.0, 0.0, 1.0]
    assert fn.__name__ == "rft_exact"


def test_conversational_completions_and_item_column():
    records = trl_records(_rows(2))
    (fn,) = reward_funcs(EXACT)
    completions = [
        [{"role": "assistant", "content": "0"}],
        [{"role": "assistant", "content": [{"type": "text", "text": "2"}]}],
    ]
    rewards = fn(
        prompts=[r["prompt"] for r in records],
        completions=completions,
        item=[r["item"] for r in records],
        answer=["wrong", "wrong"],  # the exact item column wins over the flattened columns
    )
    assert rewards == [1.0, 1.0]


def test_a_sample_that_fails_to_grade_becomes_none():
    (fn,) = reward_funcs({**EXACT, "input": "{{sample.output_json.answer}}"})
    rewards = fn(
        prompts=["p", "p", "p"], completions=['{"answer": "4"}', "not json", '{"answer": "5"}'], answer=["4"] * 3
    )
    assert rewards == [1.0, None, 0.0]


def test_a_missing_reference_column_fails_loudly_and_column_map_fixes_it():
    """Issue 19: TRL's docs name the column ground_truth; the grader reads item.answer; every reward was None."""
    (fn,) = reward_funcs(EXACT)
    with pytest.raises(RewardConfigError, match=r"column_map=\{'ground_truth': 'answer'\}") as info:
        fn(prompts=["p", "p"], completions=["4", "4"], ground_truth=["4", "5"])
    assert "{{item.answer}}" in str(info.value) and "ground_truth" in str(info.value)
    (mapped,) = reward_funcs(EXACT, column_map={"ground_truth": "answer"})
    assert mapped(prompts=["p", "p"], completions=["4", "4"], ground_truth=["4", "5"]) == [1.0, 0.0]


def test_a_batch_where_every_completion_fails_raises():
    source = "def grade(sample, item):\n    return float(item['solution'])\n"
    (fn,) = reward_funcs({"type": "python", "name": "py", "source": source})
    with pytest.raises(RewardConfigError, match="every completion of this batch failed"):
        fn(prompts=["p", "p"], completions=["a", "b"], answer=["1", "2"])


class _Env:
    """What TRL passes as `environments` with environment_factory: one live object per completion."""

    def __init__(self) -> None:
        self.state = object()

    def get_weather(self, city: str) -> str:
        return "sunny"


def test_environments_are_not_part_of_the_item():
    """Issue 19: TRL adds reward_kwargs['environments'] (trl/trainer/grpo_trainer.py, _calculate_rewards); the item
    with an environment in it was not JSON and every python grade failed."""
    source = (
        "import json\n\ndef grade(sample, item):\n    json.dumps(item)\n"
        "    return 1.0 if sample['output_text'] == item['answer'] else 0.0\n"
    )
    (fn,) = reward_funcs({"type": "python", "name": "py", "source": source})
    rewards = fn(prompts=["p", "p"], completions=["4", "5"], answer=["4", "4"], environments=[_Env(), _Env()])
    assert rewards == [1.0, 0.0]


def test_tool_calls_reach_the_grader_in_the_hosted_shape():
    """Issue 19: only the last message's text reached the grader; TRL's tool-calling completions carry
    tool_calls with parsed arguments, then tool results, then the final assistant message."""
    completion = [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"type": "function", "function": {"name": "get_forecast", "arguments": {"city": "Lisbon", "days": 3}}}
            ],
        },
        {"role": "tool", "name": "get_forecast", "content": "sunny"},
        {"role": "assistant", "content": "It will be sunny."},
    ]
    sample = completion_sample(completion)
    assert sample.output_text == "It will be sunny."
    assert sample.output_tools == [
        {
            "id": "call_0",
            "type": "function",
            "function": {"name": "get_forecast", "arguments": '{"city":"Lisbon","days":3}'},
        }
    ]
    (fn,) = reward_funcs(REPO / "graders" / "tool_call.yaml")
    item = {"function": "get_forecast", "arguments": {"city": "Lisbon", "days": 3}}
    wrong = [
        {
            **completion[0],
            "tool_calls": [
                {
                    "type": "function",
                    "function": {"name": "get_weather_now", "arguments": {"city": "Lisbon", "days": 3}},
                }
            ],
        }
    ]
    rewards = fn(prompts=["p", "p"], completions=[completion, wrong], **{k: [v, v] for k, v in item.items()})
    assert rewards == [1.0, 0.5]


def test_one_grade_batch_per_call(monkeypatch):
    fn = GraderReward(EXACT)
    calls = []
    original = fn.grader.grade_batch

    def counting(samples, items):
        calls.append(len(samples))
        return original(samples, items)

    monkeypatch.setattr(fn.grader, "grade_batch", counting)
    fn(prompts=["p"] * 16, completions=["1"] * 16, answer=["1"] * 16)
    assert calls == [16]


def test_pickles_and_keeps_its_name():
    fn = reward_funcs(MULTI)[0]
    clone = pickle.loads(pickle.dumps(fn))
    assert clone.__name__ == "rft_combo"
    assert clone(prompts=["p"], completions=["x4y"], answer=["4"]) == [0.5]


def test_one_function_per_sub_grader():
    funcs = reward_funcs(MULTI, per_sub_grader=True)
    assert [f.__name__ for f in funcs] == ["rft_combo_exact", "rft_combo_has"]
    assert [f(prompts=["p"], completions=["x4y"], answer=["4"]) for f in funcs] == [[0.0], [1.0]]
    with pytest.raises(KeyError, match="no sub-grader"):
        GraderReward(MULTI, sub_grader="nope")


def test_export_trl_writes_dataset_and_jsonl(tmp_path):
    datasets = pytest.importorskip("datasets")
    tasks = tmp_path / "tasks.jsonl"
    rows = _rows(5)
    rows[1]["messages"][0]["role"] = "system"  # fine for open-source chat templates
    tasks.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = export_trl(tasks, tmp_path / "out")
    ds = datasets.load_from_disk(str(tmp_path / "out" / "dataset"))
    assert result.rows == len(ds) == 5
    assert set(ds.column_names) == {"prompt", "item", "answer"}
    assert ds[0]["prompt"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "0+0?"}]
    assert json.loads(ds[3]["item"]) == rows[3]
    lines = (tmp_path / "out" / "train.jsonl").read_text().splitlines()
    assert json.loads(lines[2])["answer"] == "4"


def test_import_rft_kit_does_not_import_torch():
    code = "import rft_kit, rft_kit.integrations.trl, rft_kit.export, sys; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def _tiny_model_and_tokenizer():
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    words = ["<pad>", "<eos>", "<unk>", "system", "user", "assistant", ":", "Be", "brief.", "+", "?"]
    words += [f"{i}+{i}?" for i in range(8)] + [str(i) for i in range(16)]
    tokenizer = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    hf_tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )
    hf_tokenizer.chat_template = (
        "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} {% endfor %}"
        "{% if add_generation_prompt %}assistant : {% endif %}"
    )
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(words),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=64,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=1,
        tie_word_embeddings=True,
    )
    return Qwen2ForCausalLM(config), hf_tokenizer


class CountingReward(GraderReward):
    """Records each call so the test can see the trainer used it."""

    calls: ClassVar[list[int]] = []

    def __call__(self, prompts, completions, completion_ids=None, **kwargs):
        CountingReward.calls.append(len(completions))
        return super().__call__(prompts, completions, completion_ids, **kwargs)


@pytest.mark.slow
def test_grpo_trainer_runs_two_steps_with_our_reward(tmp_path, monkeypatch, capsys):
    pytest.importorskip("trl")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("WANDB_DISABLED", "true")
    datasets = pytest.importorskip("datasets")
    from trl import GRPOConfig, GRPOTrainer

    started = time.perf_counter()
    model, tokenizer = _tiny_model_and_tokenizer()
    # Partial credit from random text, so rewards vary: fuzzy similarity to the digits of the answer.
    grader = load_grader(
        {
            "type": "text_similarity",
            "name": "close",
            "input": "{{sample.output_text}}",
            "reference": "{{item.answer}} {{item.answer}}",
            "evaluation_metric": "fuzzy_match",
        }
    )
    # The dataset names its reference column as TRL's docs do; the grader reads item.answer (issue 19).
    dataset = datasets.Dataset.from_list(
        [{"prompt": r["prompt"], "ground_truth": json.loads(r["item"])["answer"]} for r in trl_records(_rows(8))]
    )
    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=4,
        max_steps=2,
        logging_steps=1,
        report_to="none",
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        seed=0,
    )
    unmapped = GRPOTrainer(
        model=model, reward_funcs=[GraderReward(grader)], args=args, train_dataset=dataset, processing_class=tokenizer
    )
    with pytest.raises(RewardConfigError, match="column_map"):
        unmapped.train()  # loud at the first batch, not a run of None rewards
    assert unmapped.state.global_step == 0
    reward = CountingReward(grader, column_map={"ground_truth": "answer"})
    CountingReward.calls.clear()
    trainer = GRPOTrainer(
        model=model, reward_funcs=[reward], args=args, train_dataset=dataset, processing_class=tokenizer
    )
    trainer.train()
    logged = [h for h in trainer.state.log_history if "rewards/rft_close/mean" in h]
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\nGRPOTrainer 2 steps: {elapsed:.1f} s; rewards logged: {[h['rewards/rft_close/mean'] for h in logged]}"
        )
    assert CountingReward.calls and all(n == 4 for n in CountingReward.calls)
    assert len(logged) == 2
    assert any(h["rewards/rft_close/mean"] > 0 for h in logged)
    assert trainer.state.global_step == 2
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_export_trl_cli(tmp_path):
    pytest.importorskip("datasets")
    from typer.testing import CliRunner

    from rft_kit.cli import app

    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(r) + "\n" for r in _rows(3)) + '{"answer": "no prompt"}\n')
    result = CliRunner().invoke(app, ["export", "trl", str(tasks), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "tasks.jsonl line 4" in result.output
    tasks.write_text("".join(json.dumps(r) + "\n" for r in _rows(3)))
    result = CliRunner().invoke(app, ["export", "trl", str(tasks), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "dataset").is_dir() and len(
        (tmp_path / "out" / "train.jsonl").read_text().splitlines()
    ) == 3


class _WeatherEnv:
    """An environment for GRPOTrainer(environment_factory=...): reset plus one tool method."""

    def reset(self, **kwargs):
        return None

    def get_weather(self, city: str) -> str:
        """Get the weather for a city.

        Args:
            city: the city.
        """
        return "sunny"


class KwargsReward(GraderReward):
    """Records the keyword arguments TRL passes, so the test can see `environments` really arrived."""

    seen: ClassVar[list[set[str]]] = []

    def __call__(self, prompts, completions, completion_ids=None, **kwargs):
        KwargsReward.seen.append(set(kwargs))
        return super().__call__(prompts, completions, completion_ids, **kwargs)


@pytest.mark.slow
def test_grpo_trainer_with_environment_factory_grades_with_a_python_grader(tmp_path, monkeypatch):
    """Issue 19: with environment_factory TRL passes `environments` to reward functions; it must not reach the item
    (a python grader serialises the item: before the fix every completion failed and every reward was None)."""
    pytest.importorskip("trl")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    datasets = pytest.importorskip("datasets")
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM
    from trl import GRPOConfig, GRPOTrainer
    from trl.chat_template_utils import qwen2_5_chat_template

    # TRL needs a chat template that renders tool calls; its bundled Qwen2.5 template does, over a tiny vocabulary.
    special = ["<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]
    words = ["<pad>", "<unk>", *special, "system", "user", "assistant", "What", "is", "the", "weather?", "sunny"]
    tokenizer = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    hf_tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        eos_token="<|im_end|>",
        unk_token="<unk>",
        additional_special_tokens=special,
    )
    hf_tokenizer.chat_template = qwen2_5_chat_template
    torch.manual_seed(0)
    eos = words.index("<|im_end|>")
    config = Qwen2Config(
        vocab_size=len(words),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        pad_token_id=0,
        eos_token_id=eos,
        bos_token_id=eos,
        tie_word_embeddings=True,
    )
    source = (
        "import json\n\ndef grade(sample, item):\n    json.dumps(item)\n"
        "    return 1.0 if item['answer'] in sample['output_text'] else 0.5\n"
    )
    reward = KwargsReward({"type": "python", "name": "py", "source": source})
    KwargsReward.seen.clear()
    prompt = [{"role": "user", "content": "What is the weather?"}]
    dataset = datasets.Dataset.from_list([{"prompt": prompt, "answer": "sunny"} for _ in range(8)])
    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=4,
        max_steps=1,
        logging_steps=1,
        report_to="none",
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        seed=0,
    )
    trainer = GRPOTrainer(
        model=Qwen2ForCausalLM(config),
        reward_funcs=[reward],
        args=args,
        train_dataset=dataset,
        processing_class=hf_tokenizer,
        environment_factory=_WeatherEnv,
    )
    trainer.train()
    assert KwargsReward.seen and all("environments" in keys for keys in KwargsReward.seen)
    logged = [h["rewards/rft_py/mean"] for h in trainer.state.log_history if "rewards/rft_py/mean" in h]
    assert logged and all(0.5 <= value <= 1.0 for value in logged), logged  # graded, not NaN


# ------------------------------------------------------------------------------------- environment_factory (issue 14)
AGENTIC = {
    "support_desk": "support_store",
    "calendar_scheduling": "calendar",
    "data_analysis": "sql_analysis",
    "multi_hop_research": "research",
}


def _agentic_rows(template: str, n: int = 3) -> list[dict]:
    from rft_kit.tasks import generate, get_template

    return [dict(r) for r in generate(get_template(template), n, seed=11)]


def _trl_tools(env) -> dict:
    """The tool dict exactly as GRPOTrainer builds it (trl/trainer/grpo_trainer.py, _generate_and_score_completions)."""
    import inspect

    return {
        getattr(env, name).__name__: getattr(env, name)
        for name, _ in inspect.getmembers(type(env), predicate=inspect.isfunction)
        if name not in ("reset", "get_reward") and not name.startswith("_")
    }


@pytest.mark.parametrize("template", sorted(AGENTIC))
def test_environment_factory_tools_are_the_rows_tools_and_calls_are_the_rollouts(template):
    """The schema TRL renders (transformers' get_json_schema on each method) is the rows' tool schema; calling the
    methods as TRL calls them gives the outputs the oracle episode (Environment.call) records."""
    from transformers.utils import get_json_schema

    from rft_kit.environments.episode import play, split_plan
    from rft_kit.integrations.trl import environment_factory

    rows = _agentic_rows(template)
    records = trl_records(rows)
    cls = environment_factory(records)
    assert cls.environment_name == AGENTIC[template]
    env = cls()  # TRL constructs it with no arguments
    tools = _trl_tools(env)
    declared = {t["function"]["name"]: t["function"] for r in rows for t in r["tools"]}
    assert set(tools) == set(declared)
    for name, method in tools.items():
        schema = get_json_schema(method)["function"]
        want = declared[name]
        assert schema["name"] == name and schema["description"] == want["description"]
        got_params, want_params = schema["parameters"], want["parameters"]
        assert set(got_params.get("required", [])) == set(want_params.get("required", []))
        assert list(got_params["properties"]) == list(want_params["properties"])
        for param, sub in want_params["properties"].items():
            got = got_params["properties"][param]
            assert got.get("description") == " ".join(sub["description"].split())
            if "type" in sub and param in want_params.get("required", []):
                assert got["type"] == sub["type"]
    for row, record in zip(rows, records, strict=True):
        assert env.reset(**record) is None  # None: TRL appends nothing to the prompt
        calls, answer = split_plan(row["oracle_plan"])
        outputs = [tools[c["name"]](**c["arguments"]) for c in calls]
        episode = play(row["environment"], calls, answer)
        assert outputs == [m["content"] for m in episode["trajectory"] if m["role"] == "tool"]
        assert env.env.snapshot() == episode["final_state"]


def test_environment_rewards_grade_the_episode_each_environment_holds():
    from rft_kit.environments.episode import split_plan
    from rft_kit.integrations.trl import environment_factory
    from rft_kit.tasks import get_template

    rows = _agentic_rows("support_desk", 4)
    records = trl_records(rows)
    cls = environment_factory(records)
    grader = load_grader(REPO / "graders" / "tasks" / "support_desk.yaml", placement="any")
    (fn,) = reward_funcs(grader)
    envs, completions = [], []
    for index, (row, record) in enumerate(zip(rows, records, strict=True)):
        env = cls()
        env.reset(**record)
        calls, answer = split_plan(row["oracle_plan"])
        tools = _trl_tools(env)
        for call in calls[: len(calls) if index % 2 == 0 else 1]:  # odd rows: the agent stops after one call
            tools[call["name"]](**call["arguments"])
        envs.append(env)
        completions.append([{"role": "assistant", "content": answer}])
    rewards = fn(
        prompts=[r["prompt"] for r in records],
        completions=completions,
        item=[r["item"] for r in records],
        environments=envs,
    )
    gen = get_template("support_desk")
    assert rewards[0] == rewards[2] == 1.0
    assert rewards[0] == grader.grade(gen.reference_sample(rows[0]), rows[0]).reward
    assert rewards[1] is not None and rewards[1] < 1.0 and rewards[3] is not None and rewards[3] < 1.0
    # The same completions without the environments are graded on their text alone: no final state, an error each.
    with pytest.raises(RewardConfigError, match="every completion"):
        fn(prompts=[r["prompt"] for r in records], completions=completions, item=[r["item"] for r in records])


def test_environment_factory_bad_calls_get_rft_kits_messages_and_mixed_rows_are_refused():
    from rft_kit.errors import ConfigError
    from rft_kit.integrations.trl import environment_factory

    records = trl_records(_agentic_rows("support_desk", 1))
    env = environment_factory("support_store")()
    with pytest.raises(RuntimeError, match="reset"):
        env.find_customer(email="a@b.c")
    env.reset(**records[0])
    assert "unexpected argument(s) 'mail'" in env.find_customer(mail="a@b.c")
    assert env.calls[-1]["error"] == "bad_arguments"
    mixed = records + trl_records(_agentic_rows("calendar_scheduling", 1))
    with pytest.raises(ConfigError, match="2 environments"):
        environment_factory(mixed)
    with pytest.raises(ConfigError, match="without an environment"):
        env.reset(prompt=[{"role": "user", "content": "hi"}])


class EnvironmentReward(GraderReward):
    """Checks, inside the real trainer's reward call, that each environment was reset with its own row."""

    seen: ClassVar[list[tuple[bool, list]]] = []

    def __call__(self, prompts, completions, completion_ids=None, **kwargs):
        envs = kwargs["environments"]
        items = [json.loads(i) for i in kwargs["item"]]
        matched = all(
            e.env is not None and dict(e.env.spec) == i["environment"] for e, i in zip(envs, items, strict=True)
        )
        rewards = super().__call__(prompts, completions, completion_ids, **kwargs)
        EnvironmentReward.seen.append((matched, rewards))
        return rewards


@pytest.mark.slow
def test_grpo_trainer_with_an_rft_kit_environment_factory(tmp_path, monkeypatch):
    """A real GRPOTrainer with environment_factory(rows): TRL probes the class for tools, renders them with its
    Qwen2.5 template, resets one instance per completion with that completion's row, and passes the environments to
    the reward function, which grades their episodes with the template's grader."""
    pytest.importorskip("trl")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    datasets = pytest.importorskip("datasets")
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM
    from trl import GRPOConfig, GRPOTrainer
    from trl.chat_template_utils import qwen2_5_chat_template

    from rft_kit.integrations.trl import RftToolEnvironment, environment_factory

    special = ["<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]
    words = ["<pad>", "<unk>", *special, "system", "user", "assistant", "O-1001", "refund", "order"]
    tokenizer = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    hf_tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        eos_token="<|im_end|>",
        unk_token="<unk>",
        additional_special_tokens=special,
    )
    hf_tokenizer.chat_template = qwen2_5_chat_template
    torch.manual_seed(0)
    eos = words.index("<|im_end|>")
    config = Qwen2Config(
        vocab_size=len(words),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=4096,
        pad_token_id=0,
        eos_token_id=eos,
        bos_token_id=eos,
        tie_word_embeddings=True,
    )
    records = trl_records(_agentic_rows("support_desk", 4))
    dataset = datasets.Dataset.from_list([{"prompt": r["prompt"], "item": r["item"]} for r in records])
    factory = environment_factory(records)
    reward = EnvironmentReward(REPO / "graders" / "tasks" / "support_desk.yaml")
    EnvironmentReward.seen.clear()
    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        max_steps=1,
        logging_steps=1,
        report_to="none",
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        seed=0,
    )
    trainer = GRPOTrainer(
        model=Qwen2ForCausalLM(config),
        reward_funcs=[reward],
        args=args,
        train_dataset=dataset,
        processing_class=hf_tokenizer,
        environment_factory=factory,
    )
    assert {t.__name__ for t in trainer.tools} == {
        t["function"]["name"] for t in json.loads(records[0]["item"])["tools"]
    }
    trainer.train()
    assert trainer.state.global_step == 1
    assert EnvironmentReward.seen and all(matched for matched, _ in EnvironmentReward.seen)
    rewards = [r for _, batch in EnvironmentReward.seen for r in batch]
    # A random tiny model makes no valid call: every episode is graded (not None) and ends below the oracle's 1.0.
    assert rewards and all(r is not None and 0.0 <= r < 1.0 for r in rewards)
    assert all(isinstance(e, RftToolEnvironment) for e in trainer.environments)
