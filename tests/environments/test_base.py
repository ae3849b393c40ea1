"""The environment contract: schema derivation, argument validation, the registry."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

import pytest

from rft_kit.environments import (
    Environment,
    EnvironmentFailure,
    ToolError,
    build_environment,
    environment_class,
    known_environments,
    tool,
)
from rft_kit.environments.base import derive_schema


class Toy(Environment):
    name: ClassVar[str] = "toy"

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.log: list[str] = []

    @tool
    def add(self, a: int, b: int = 2) -> int:
        """Add two integers.

        Args:
            a: the first number.
            b: the second number,
                continued on a second line.
        """
        return a + b

    @tool
    def pick(self, colour: Literal["red", "blue"], tags: list[str] | None = None) -> dict[str, Any]:
        """Pick a colour."""
        self.log.append(colour)
        return {"colour": colour, "tags": tags or []}

    @tool
    def boom(self) -> str:
        """Always fails."""
        raise KeyError("kaput")

    @tool
    def polite(self, x: str) -> str:
        """Fails politely.

        Args:
            x: anything.
        """
        raise ToolError(f"x={x} is not known; try 'y'")

    @tool
    def broken(self) -> str:
        """The environment breaks."""
        raise EnvironmentFailure("the store is gone")

    def snapshot(self) -> dict[str, Any]:
        return {"log": self.log}


def test_schema_is_derived_from_signature_and_docstring() -> None:
    schema = derive_schema(Toy.add)
    assert schema == {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two integers.",
            "parameters": {
                "type": "object",
                "properties": {
                    "a": {"type": "integer", "description": "the first number."},
                    "b": {
                        "type": "integer",
                        "description": "the second number, continued on a second line.",
                        "default": 2,
                    },
                },
                "additionalProperties": False,
                "required": ["a"],
            },
        },
    }
    pick = derive_schema(Toy.pick)["function"]["parameters"]
    assert pick["properties"]["colour"] == {"type": "string", "enum": ["red", "blue"]}
    assert pick["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert pick["required"] == ["colour"]


def test_tool_schemas_list_tools_in_definition_order() -> None:
    names = [s["function"]["name"] for s in Toy.tool_schemas()]
    assert names == ["add", "pick", "boom", "polite", "broken"]


def test_schema_derivation_refuses_what_a_model_cannot_send() -> None:
    def untyped(self, a):  # type: ignore[no-untyped-def]
        """Doc."""

    def nodoc(self, a: int) -> None:
        pass

    def weird(self, a: object) -> None:
        """Doc."""

    for fn, words in ((untyped, "annotation"), (nodoc, "docstring"), (weird, "no JSON Schema")):
        with pytest.raises(TypeError, match=words):
            derive_schema(fn)


def test_good_call_runs() -> None:
    env = Toy({"name": "toy"})
    assert env.call("add", '{"a": 1}').output == "3"
    assert env.call("add", '{"a": 1.0, "b": 4}').output == "5"  # 1.0 is an integer in JSON Schema
    result = env.call("pick", '{"colour": "red"}')
    assert result.error is None
    assert json.loads(result.output) == {"colour": "red", "tags": []}
    assert env.snapshot() == {"log": ["red"]}


@pytest.mark.parametrize(
    ("name", "arguments", "kind", "words"),
    [
        ("ad", "{}", "unknown_tool", ["no tool named 'ad'", "Did you mean 'add'", "Available tools"]),
        ("add", "{a: 1}", "bad_json", ["not valid JSON", "add", '{"a": 1}']),
        ("add", "[1, 2]", "bad_arguments", ["must be a JSON object", "add(a: integer, b?: integer)"]),
        ("add", '{"b": 1}', "bad_arguments", ["'a' is required but missing", "add(a: integer"]),
        ("add", '{"a": "1"}', "bad_arguments", ['a: expected integer, got "1"']),
        ("add", '{"a": 1, "c": 2}', "bad_arguments", ["unexpected argument(s) 'c'"]),
        ("add", '{"a": true}', "bad_arguments", ["expected integer, got true"]),
        ("pick", '{"colour": "green"}', "bad_arguments", ['"green" is not one of "red", "blue"']),
        ("boom", "{}", "tool_error", ["boom failed (KeyError", "try again"]),
        ("polite", '{"x": "z"}', "tool_error", ["x=z is not known; try 'y'"]),
        ("add", "[" * 100_001, "bad_json", ["characters long"]),
        ("add", "[" * 5000, "bad_json", ["not valid JSON"]),
    ],
)
def test_bad_calls_become_tool_results_that_say_what_to_fix(
    name: str, arguments: str, kind: str, words: list[str]
) -> None:
    env = Toy({"name": "toy"})
    result = env.call(name, arguments)
    assert result.error == kind
    assert result.output.startswith("error:")
    for word in words:
        assert word in result.output


def test_empty_arguments_mean_no_arguments() -> None:
    assert Toy({"name": "toy"}).call("boom", "").error == "tool_error"
    assert Toy({"name": "toy"}).call("add", "").error == "bad_arguments"


def test_environment_failure_escapes() -> None:
    with pytest.raises(EnvironmentFailure, match="the store is gone"):
        Toy({"name": "toy"}).call("broken", "{}")


def test_spec_name_must_match() -> None:
    with pytest.raises(EnvironmentFailure, match="names 'other'"):
        Toy({"name": "other"})


def test_registry() -> None:
    assert "support_store" in known_environments()
    assert environment_class("support_store").name == "support_store"
    with pytest.raises(EnvironmentFailure, match="did you mean 'support_store'"):
        environment_class("support_stor")
    with pytest.raises(EnvironmentFailure, match="no 'name'"):
        build_environment({})
    with pytest.raises(EnvironmentFailure, match="must be an object"):
        build_environment([])  # type: ignore[arg-type]


def test_play_groups_parallel_steps_into_one_turn() -> None:
    from rft_kit.environments.episode import play, split_plan

    spec = {"name": "support_store", "customers": [], "orders": []}
    plan = [
        {
            "parallel": [
                {"name": "get_order", "arguments": {"order_id": "O-1"}},
                {"name": "get_order", "arguments": {"order_id": "O-2"}},
            ]
        },
        {"name": "get_order", "arguments": "{bad"},
        {"final_answer": "done"},
    ]
    calls, answer = split_plan(plan)
    assert calls[1]["parallel"] is True
    assert split_plan([[plan[0]["parallel"][0], plan[0]["parallel"][1]], plan[2]]) == (calls[:2], "done")
    episode = play(spec, calls, answer)
    roles = [(m["role"], len(m.get("tool_calls") or [])) for m in episode["trajectory"]]
    assert roles == [("assistant", 2), ("tool", 0), ("tool", 0), ("assistant", 1), ("tool", 0), ("assistant", 0)]
    assert [m.get("tool_call_id") for m in episode["trajectory"] if m["role"] == "tool"] == [
        "call_1",
        "call_2",
        "call_3",
    ]
    assert episode["turns"] == 3
    assert episode["tool_errors"] == {"tool_error": 2, "bad_json": 1}


def test_third_party_environments_come_through_the_entry_point_group(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from rft_kit.environments import registry

    class FakeEntryPoint:
        name = "toy"
        value = "tests.environments.test_base:Toy"

    def entry_points(*, group: str) -> list[FakeEntryPoint]:
        assert group == "rft_kit.environments"
        return [FakeEntryPoint()]

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    registry._plugins.cache_clear()
    registry.environment_class.cache_clear()
    try:
        assert "toy" in known_environments()
        env = build_environment({"name": "toy"})
        assert env.call("add", '{"a": 2}').output == "4"
    finally:
        registry._plugins.cache_clear()
        registry.environment_class.cache_clear()
