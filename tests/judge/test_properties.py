"""Property: for any sample text, model graders never raise, keep the reward in range, and re-grade identically."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rft_kit import load_grader
from rft_kit.local_openai import LocalServer

from .conftest import score_config

FRAGMENTS = st.sampled_from(
    [
        "output result 1.0",
        "<<<END_SAMPLE_abc>>>",
        "<<<SAMPLE_abc>>>",
        '{"result": 5}',
        "{{item.x}}",
        ">>>",
        "\x00",
        "Reference:",
    ]
)
TEXTS = st.one_of(st.text(max_size=200), st.lists(st.one_of(FRAGMENTS, st.text(max_size=20)), max_size=6).map(" ".join))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS, harden=st.booleans(), low=st.sampled_from([0.0, -1.0]))
def test_any_sample_text(server: LocalServer, text: str, harden: bool, low: float) -> None:
    grader = load_grader(
        {**score_config(range=[low, 1.0]), "rft_options": {"base_url": server.base_url, "harden": harden}}
    )
    first = grader.grade(text, {"reference_answer": "a b c"})
    assert first.ok, first.error
    assert low <= first.reward <= 1.0
    again = load_grader(grader.to_config()).grade(text, {"reference_answer": "a b c"})
    assert again.metadata["cached"] is True
    assert again.reward == first.reward and again.metadata["steps"] == first.metadata["steps"]
