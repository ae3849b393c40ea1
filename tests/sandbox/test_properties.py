"""Property: for any sample text, the sandboxed graders return a reward in range, never raise, and are deterministic."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

texts = st.text(max_size=200) | st.sampled_from(
    [
        "```python\ndef add(a, b):\n    return a + b\n```",
        "def add(a, b):\n    return a - b",
        "import os\nos._exit(0)",
        "```\nwhile True: pass\n```",
        "print('PASS')",
        "\x00\ud800",
    ]
)

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(texts)
def test_python_grader_total(python_grader, text):
    grader = python_grader(
        "def grade(sample, item):\n    t = sample['output_text']\n    return (len(t) % 7) / 6\n", timeout_s=5
    )
    first = grader.grade(text, {})
    second = grader.grade(text, {})
    assert first.status in ("scored", "error")
    assert 0.0 <= first.reward <= 1.0
    assert (first.status, first.reward) == (second.status, second.reward)
    if first.status == "scored":
        assert first.reward == (len(text) % 7) / 6


@SETTINGS
@given(texts)
def test_code_tests_grader_total(asserts_grader, text):
    grader = asserts_grader(timeout_per_test_s=1, scoring="fraction")
    item = {"tests": ["assert add(1, 2) == 3", "assert add(2, 5) == 7"]}
    first = grader.grade(text, item)
    second = grader.grade(text, item)
    assert first.status in ("scored", "error")
    assert 0.0 <= first.reward <= 1.0
    assert (first.status, first.reward) == (second.status, second.reward)


# The runner labels each HumanEval assertion with its source text, sliced from lines split once (ast's own helper
# re-splits the whole source per statement). Both must give the same text, whatever the line breaks and characters.
_line_parts = st.sampled_from(["x", "é", "ü + 1", "\x0c", "\u2028", "  ", "# ñ", "'\\u2028'"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_line_parts, max_size=4).map("".join), max_size=6), st.sampled_from(["\n", "\r\n", "\r"]))
def test_assertion_labels_match_ast_source_segments(parts, newline):
    import ast

    from rft_kit.sandbox.harness_tests import _split_check

    body = newline.join(f"    assert c({p!r}) == 1{'  # ' + p if p else ''}" for p in parts or ["x"])
    source = f"def check(c):{newline}{body}{newline}    y = [1,{newline}         2]{newline}"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    steps = _split_check(source)
    assert steps is not None
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    expected = [ast.get_source_segment(source, stmt) for stmt in fn.body]
    assert [label for _, label, _, _ in steps] == [e if len(e) <= 200 else e[:197] + "..." for e in expected]
