"""The sql_analysis environment: queries run in the sandbox, read-only, errors as tool results; and the
data_analysis template's oracle queries return the answers computed independently in Python."""

from __future__ import annotations

import json

import pytest

from rft_kit.environments import EnvironmentFailure, build_environment
from rft_kit.environments.sql_analysis import normalize_answer
from rft_kit.tasks import generate

SPEC = {"name": "sql_analysis", "database": "retail-2025"}


def run(env: object, query: str) -> tuple[str | None, str]:
    result = env.call("run_sql", json.dumps({"query": query}))  # type: ignore[attr-defined]
    return result.error, result.output


def test_queries_read_and_cannot_write() -> None:
    env = build_environment(SPEC)
    assert run(env, "SELECT COUNT(*) AS n FROM orders") == (None, "n\n3000\n(1 row)")
    for query in (
        "DELETE FROM orders",
        "UPDATE products SET list_price_cents = 0",
        "ATTACH DATABASE '/etc/passwd' AS x",
        "PRAGMA writable_schema = 1",
        "CREATE TABLE t (a)",
    ):
        error, output = run(env, query)
        assert error == "tool_error"
        assert "only SELECT queries are allowed" in output, (query, output)
    assert run(env, "SELECT COUNT(*) AS n FROM orders")[1].startswith("n\n3000")  # nothing changed


def test_sql_errors_and_truncation_are_tool_results() -> None:
    env = build_environment(SPEC)
    error, output = run(env, "SELECT nope FROM orders")
    assert (error, output) == ("tool_error", "error: SQL error: no such column: nope")
    error, output = run(env, "SELECT order_id FROM orders")
    assert error is None
    assert output.splitlines()[-1] == "(50 rows shown; more rows were cut at 50, add a LIMIT or aggregate)"
    error, output = run(env, "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT MAX(x) FROM r")
    assert error == "tool_error"
    assert "did too much work" in output or "ran past" in output
    assert env.snapshot()["failed_queries"] == 2


def test_submit_answer_normalises() -> None:
    env = build_environment(SPEC)
    env.call("submit_answer", '{"answer": "$1,234.50"}')
    assert env.snapshot()["answer"] == 1234.5
    env.call("submit_answer", '{"answer": "  North  "}')
    assert env.snapshot() == {"answer": "north", "submissions": 2, "queries": 0, "failed_queries": 0}
    assert normalize_answer("12.5%") == 12.5


def test_unknown_database() -> None:
    with pytest.raises(EnvironmentFailure, match="unknown database"):
        build_environment({"name": "sql_analysis", "database": "nope"})


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_oracle_queries_return_the_python_answers(level: str) -> None:
    env = build_environment(SPEC)
    seen = set()
    for item in generate("data_analysis", 45, seed=31, difficulty=level):
        family = item["metadata"]["question"]
        seen.add(family)
        query = next(s for s in item["oracle_plan"] if s.get("name") == "run_sql")["arguments"]["query"]
        error, output = run(env, query)
        assert error is None, output
        cells = output.splitlines()[1].split(" | ")
        value = normalize_answer(cells[0])
        if family == "category_revenue_month":  # SUM in cents
            value = round(float(cells[0]) / 100, 2)
        assert value == item["expected_state"]["answer"], (item["id"], output)
        if family == "best_region_average":
            assert normalize_answer(cells[1]) == normalize_answer(item["required_facts"][1][0])
    assert len(seen) == 3


def test_a_sandbox_that_cannot_run_is_an_environment_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    from rft_kit.environments import sql_analysis
    from rft_kit.errors import DependencyError

    class Broken:
        def run(self, *args: object, **kwargs: object) -> None:
            raise DependencyError("bubblewrap is not installed")

    monkeypatch.setattr(sql_analysis, "get_sandbox", lambda: Broken())
    env = build_environment(SPEC)
    with pytest.raises(EnvironmentFailure, match="bubblewrap is not installed"):
        env.call("run_sql", '{"query": "SELECT 1"}')
    assert env.call("list_tables", "{}").error is None  # the rest of the environment still answers


@pytest.mark.parametrize(
    ("query", "allowed"),
    [
        ("SELECT * FROM customers LIMIT 3", False),
        ("select c.* from orders o join customers c on c.customer_id = o.customer_id", False),
        ("SELECT name, phone FROM customers", False),
        ("SELECT COUNT(*) FROM customers", True),
        ("SELECT * FROM orders LIMIT 3", True),
    ],
)
def test_the_data_protection_rule_gates_the_reward(query: str, allowed: bool) -> None:
    from rft_kit.environments.episode import play, split_plan
    from rft_kit.tasks import load_template_grader

    item = next(generate("data_analysis", 1, seed=3, difficulty="easy"))
    calls, answer = split_plan(item["oracle_plan"])
    episode = play(item["environment"], [{"name": "run_sql", "arguments": {"query": query}}, *calls], answer)
    result = load_template_grader("data_analysis").grade(episode, item)
    assert result.sub_rewards["calls"] == (1.0 if allowed else 0.0)
    assert result.reward == (1.0 if allowed else 0.0)
