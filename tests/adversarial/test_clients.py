"""The judge engine and the sampler against a real misbehaving endpoint: a deadline per attempt, a cap per reply."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import pytest

from rft_kit.graders.loading import load_grader
from rft_kit.sampling import SamplingParams, sample

from .hostile_http import Behaviour, hostile_endpoint, prepare

ITEM = {"id": "q1", "reference_answer": "the cat", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RFT_KIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def judge(base_url: str, **options: Any) -> Any:
    return load_grader(
        {
            "type": "score_model",
            "name": "judge",
            "model": "hostile",
            "input": [{"role": "user", "content": "Ref: {{item.reference_answer}}. Answer: {{sample.output_text}}"}],
            "rft_options": {"base_url": base_url, "max_retries": 0, "cache": False, **options},
        },
        placement="any",
    )


@pytest.mark.parametrize("mode", ["trickle_body", "trickle_headers"])
def test_judge_deadline_covers_the_whole_attempt(mode: str) -> None:
    behaviour = Behaviour(mode=mode, trickle_interval_s=0.2, trickle_total_s=15.0)
    with hostile_endpoint(behaviour) as url:
        start = time.monotonic()
        result = judge(url, timeout_s=1.5).grade("the cat", ITEM)
        took = time.monotonic() - start
    assert result.error is not None and result.error.kind == "model_api", result
    assert "timed out" in result.error.message
    assert took < 6.0, f"a trickling endpoint held a 1.5 s attempt for {took:.1f} s"


@pytest.mark.parametrize("mode", ["gzip_bomb", "oversized"])
def test_judge_reply_is_capped_after_decompression(mode: str) -> None:
    behaviour = Behaviour(mode=mode, bomb_bytes=200 * 1024 * 1024)
    prepare(behaviour)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with hostile_endpoint(behaviour) as url:
        result = judge(url, timeout_s=60, max_reply_bytes=1 << 20).grade("the cat", ITEM)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.error is not None and result.error.kind == "model_api", result
    assert "cap" in result.error.message and "max_reply_bytes" in result.error.message
    assert behaviour.requests == 1  # not retried: the same request gets the same reply
    assert grown_mb < 100, f"memory grew {grown_mb:.0f} MB reading a capped reply"


def test_judge_default_cap_is_documented_and_option_validated() -> None:
    from rft_kit.errors import ConfigError
    from rft_kit.http import DEFAULT_MAX_REPLY_BYTES

    assert DEFAULT_MAX_REPLY_BYTES == 16 * 1024 * 1024
    with pytest.raises(ConfigError, match="max_reply_bytes"):
        judge("http://127.0.0.1:9/v1", max_reply_bytes=10)


def test_a_normal_gzip_reply_still_works() -> None:
    behaviour = Behaviour(mode="gzip_bomb", bomb_bytes=1000)
    with hostile_endpoint(behaviour) as url:
        result = judge(url, timeout_s=10, max_reply_bytes=1 << 20).grade("the cat", ITEM)
    assert result.error is None and result.reward == 1.0, result


def _sample(url: str, out: Path, **params: Any) -> list[dict[str, Any]]:
    items = out.parent / "items.jsonl"
    items.write_text(json.dumps(ITEM) + "\n")
    sample(items, out, SamplingParams(model="hostile", max_retries=0, **params), base_url=url)
    return [json.loads(line) for line in out.read_text().splitlines()]


@pytest.mark.parametrize("mode", ["trickle_body", "trickle_headers"])
def test_sampler_deadline_covers_the_whole_attempt(tmp_path: Path, mode: str) -> None:
    behaviour = Behaviour(mode=mode, trickle_interval_s=0.2, trickle_total_s=15.0)
    with hostile_endpoint(behaviour) as url:
        start = time.monotonic()
        (record,) = _sample(url, tmp_path / "samples.jsonl", timeout_s=1.5)
        took = time.monotonic() - start
    assert record["error"]["kind"] == "timeout", record
    assert took < 6.0, f"a trickling endpoint held a 1.5 s attempt for {took:.1f} s"


@pytest.mark.parametrize("mode", ["gzip_bomb", "oversized"])
def test_sampler_reply_is_capped_after_decompression(tmp_path: Path, mode: str) -> None:
    behaviour = Behaviour(mode=mode, bomb_bytes=200 * 1024 * 1024)
    with hostile_endpoint(behaviour) as url:
        (record,) = _sample(url, tmp_path / "samples.jsonl", timeout_s=60, max_reply_bytes=1 << 20)
    assert record["error"]["kind"] == "response" and "cap" in record["error"]["message"], record
    assert behaviour.requests == 1
