"""User templates in YAML: the examples work end to end, invalid templates are rejected with the field path, and the
expression language cannot reach Python internals."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rft_kit.errors import ConfigError
from rft_kit.tasks import generate, get_template, load_template_grader
from rft_kit.tasks.expr import compile_expr, render_text, split_template

EXAMPLE = Path("task_templates/examples/shipping_quote.yaml")

GOOD = """\
name: capital_quiz
grader: {type: string_check, input: "{{sample.output_text}}", reference: "{{item.answer}}", operation: eq}
variables:
  pair: {choice: [[France, Paris], [Peru, Lima]]}
  n: {range: [1, 3]}
  doubled: {expr: "n * 2"}
messages:
  - {role: developer, content: Answer with the city only.}
  - {role: user, content: "What is the capital of {{ pair[0] }}? ({{ doubled }} points)"}
reference: {answer: "{{ pair[1] }}", points: "{{ doubled }}"}
reference_sample: "{{ answer }}"
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def test_a_minimal_template_generates_typed_references(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    items = list(generate(path, 20, seed=1))
    assert {i["answer"] for i in items} == {"Paris", "Lima"}
    assert all(isinstance(i["points"], int) and i["points"] in (2, 4, 6) for i in items)
    assert items[0]["metadata"]["difficulty"] == "default"
    grader = load_template_grader(get_template(path))
    gen = get_template(path)
    assert all(grader.grade(gen.reference_sample(i), i).reward == 1.0 for i in items)


def test_example_shipping_quote_is_exact() -> None:
    from fractions import Fraction

    for item in generate(str(EXAMPLE), 200, seed=3, difficulty="hard"):
        text = item["messages"][-1]["content"]
        parcels = int(text.split(" is sending ")[1].split()[0])
        kg = Fraction(text.split(" parcels of ")[1].split()[0])
        fee = Fraction(text.split("fixed fee of £")[1].split()[0])
        per_kg = Fraction(text.split("plus £")[1].split()[0])
        discount = Fraction(int(text.split("tier, ")[1].split("%")[0]), 100)
        express = Fraction(3, 2) if "requested: yes" in text else 1
        exact = (fee + parcels * kg * per_kg) * express * (1 - discount)
        assert abs(Fraction(item["answer"]) - exact) <= Fraction(1, 200)
        assert len(item["answer"].split(".")[1]) == 2


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (("name: capital_quiz", "name: Capital Quiz"), "name", "does not match"),
        (("  n: {range: [1, 3]}", "  n: {range: [3, 1]}"), "variables.n.range", "empty"),
        (("  n: {range: [1, 3]}", "  n: {range: [1, 3], choice: [1]}"), "variables.n", "exactly one"),
        (("  n: {range: [1, 3]}", "  n: {rnage: [1, 3]}"), "variables.n", "rnage"),
        (('  doubled: {expr: "n * 2"}', '  doubled: {expr: "m * 2"}'), "variables.doubled.expr", "'m'"),
        (('  doubled: {expr: "n * 2"}', '  doubled: {expr: "n.__class__"}'), "variables.doubled.expr", "private"),
        (('  doubled: {expr: "n * 2"}', '  doubled: {expr: "open(n)"}'), "variables.doubled.expr", "unknown function"),
        (('  doubled: {expr: "n * 2"}', '  doubled: {expr: "n *"}'), "variables.doubled.expr", "invalid expression"),
        (("{{ pair[0] }}?", "{{ country }}?"), "messages[1].content", "unknown variable 'country'"),
        (("  - {role: user,", "  - {role: robot,"), "messages[1].role", "robot"),
        (('reference: {answer: "{{ pair[1] }}"', 'reference: {id: "{{ pair[1] }}"'), "reference", "id"),
        (('reference_sample: "{{ answer }}"', 'reference_sample: "{{ answr }}"'), "reference_sample", "answr"),
        (("operation: eq}", "operation: equals}"), "grader", "operation"),
    ],
)
def test_invalid_templates_name_the_field(tmp_path: Path, change: tuple[str, str], path: str, message: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ConfigError) as err:
        get_template(write(tmp_path, GOOD.replace(old, new)))
    text = str(err.value)
    assert path in text and message in text, text
    assert "t.yaml" in text


def test_last_message_must_be_from_the_user(tmp_path: Path) -> None:
    text = GOOD.replace("reference: {answer", '  - {role: assistant, content: "Sure."}\nreference: {answer')
    with pytest.raises(ConfigError, match=r"messages\[2\]\.role.*last message"):
        get_template(write(tmp_path, text))


def test_missing_data_file_and_unknown_level_override(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"variables\.rows\.csv.*does not exist"):
        get_template(write(tmp_path, GOOD.replace("variables:\n", "variables:\n  rows: {csv: nope.csv}\n")))
    with pytest.raises(ConfigError, match=r"levels\.hard\.nn.*unknown variable"):
        get_template(
            write(tmp_path, GOOD.replace("variables:\n", "levels: {hard: {nn: {range: [1, 2]}}}\nvariables:\n"))
        )


@pytest.mark.parametrize(
    "source",
    ["__import__('os')", "().__class__", "[x for x in n]", "lambda: 1", "n.__dict__", "f'{n}'", "getattr(n, 'real')"],
)
def test_expressions_cannot_escape(source: str) -> None:
    with pytest.raises(ConfigError):
        compile_expr(source)


def test_expression_language_evaluates_records_and_keeps_types() -> None:
    env = {"row": {"name": "Ana", "qty": "3"}, "price": 2.5, "items": [1, 2, 3]}
    assert render_text(split_template("{{ int(row.qty) * price }}"), env) == 7.5
    assert render_text(split_template("{{ upper(row.name) }} x{{ len(items) }}"), env) == "ANA x3"
    assert render_text(split_template("{{ frac(1, 3) + frac(1, 6) }}"), env) == "1/2"
    assert render_text(split_template("{{ frac(13.8) * 10 }}"), env) == "138"
    assert render_text(split_template("{{ round_half_up(frac(2675, 1000), 2) }}"), env) == "2.68"  # float: 2.67
    assert render_text(split_template("{{ round_half_up(0.5) }} {{ round_half_up(frac(1, 200), 2) }}"), env) == "1 0.01"
    with pytest.raises(ValueError, match="exponent"):
        compile_expr("2 ** 1000").evaluate({})
    with pytest.raises(ValueError, match="needs a record"):
        compile_expr("price.real").evaluate(env)


def test_example_oncall_lookup_refuses_a_hedged_answer() -> None:
    gen = get_template("task_templates/examples/oncall_lookup.yaml")
    grader = load_template_grader(gen)
    items = list(generate(gen, 100, seed=2, difficulty="hard"))
    assert {i["metadata"]["label"] for i in items} == {"primary", "secondary"}
    secondary = [i for i in items if i["metadata"]["label"] == "secondary"][:10]
    for item in secondary:
        primary = item["messages"][-1]["content"].split(" lists ")[1].split(" as primary")[0]
        assert primary != item["person"]
        assert grader.grade(item["person"] + ".", item).reward == 1.0
        assert grader.grade(f"{primary} or {item['person']}", item).reward == 0.0
