"""Templates reach an episode's final state and trajectory; the trajectory renders as a transcript."""

from __future__ import annotations

from rft_kit.records import Sample
from rft_kit.templating import compile_template

TRAJECTORY = [
    {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_order", "arguments": '{"order_id": "O-1"}'}}
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "x" * 3000},
    {"role": "assistant", "content": "Done."},
]


def episode() -> Sample:
    return Sample.from_obj(
        {
            "output_text": "Done.",
            "trajectory": TRAJECTORY,
            "final_state": {"orders": {"O-1": {"status": "refunded"}}},
            "stop_reason": "final_answer",
            "turns": 2,
        }
    )


def test_final_state_paths_render() -> None:
    ns = episode().namespace()
    assert compile_template("{{sample.final_state.orders.O-1.status}}").render(ns, {}) == "refunded"


def test_trajectory_renders_as_a_transcript_with_long_outputs_cut() -> None:
    text = compile_template("T:\n{{sample.trajectory}}").render(episode().namespace(), {})
    lines = text.splitlines()
    assert lines[1] == "[assistant] Let me check."
    assert lines[2] == '[call 1] get_order({"order_id": "O-1"})'
    assert lines[3].startswith("[result 1] xxx")
    assert lines[3].endswith("[... 1000 more characters cut]")
    assert lines[4] == "[assistant] Done."
    # a path into the trajectory is an ordinary value
    assert compile_template("{{sample.trajectory[2].content}}").render(episode().namespace(), {}) == "Done."


def test_episode_fields_round_trip_and_stay_out_of_the_hosted_namespace() -> None:
    sample = episode()
    again = Sample.from_obj(sample.to_record())
    assert again.trajectory == TRAJECTORY
    assert again.final_state == sample.final_state
    assert again.stop_reason == "final_answer"
    assert again.turns == 2
    assert set(sample.hosted_namespace()) == {"choices", "output_text", "output_json", "output_tools", "output_audio"}
    assert "trajectory" not in Sample.from_text("hi").namespace()


def test_a_judge_prompt_reads_the_trajectory_as_a_transcript() -> None:
    import rft_kit

    grader = rft_kit.load_grader(
        {
            "type": "score_model",
            "name": "judge",
            "model": "sim-judge",
            "input": [
                {"role": "user", "content": "Grade this agent.\n{{sample.trajectory}}\nFinal: {{sample.output_text}}"}
            ],
            "range": [0, 1],
        }
    )
    messages = grader.prompt.render(episode().namespace(), {}, harden=False)  # type: ignore[attr-defined]
    text = messages[-1]["content"]
    assert '[call 1] get_order({"order_id": "O-1"})' in text
    assert text.endswith("Final: Done.")


def test_transcript_never_raises_on_arbitrary_trajectories() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from rft_kit.transcript import render_transcript

    values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["role", "content", "tool_calls", "tool_call_id", "function", "name", "arguments", "id"]
                )
                | st.text(max_size=4),
                inner,
                max_size=4,
            )
        ),
        max_leaves=15,
    )

    @settings(max_examples=300, deadline=None)
    @given(trajectory=values)
    def check(trajectory: object) -> None:
        assert isinstance(render_transcript(trajectory), str)

    check()
