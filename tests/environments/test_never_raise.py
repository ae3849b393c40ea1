"""Hypothesis: an environment never raises for anything a model can send (arbitrary names, arbitrary JSON)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rft_kit.environments import ToolResult, build_environment

from .test_support import spec as support_spec

SPECS: dict[str, Any] = {"support_store": support_spec}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def _tool_names(env_name: str) -> list[str]:
    env = build_environment(SPECS[env_name]())
    return [s["function"]["name"] for s in env.tool_schemas()]


def _arguments(env_name: str) -> st.SearchStrategy[str]:
    """Arbitrary JSON text, objects with the tools' own keys and junk values, and arbitrary strings."""
    env = build_environment(SPECS[env_name]())
    keys = sorted({k for s in env.tool_schemas() for k in s["function"]["parameters"].get("properties", {})})
    keyed = st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), json_values, max_size=5)
    return st.one_of(
        json_values.map(lambda v: json.dumps(v)),
        keyed.map(json.dumps),
        st.text(max_size=40),
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_support_store_never_raises(data: st.DataObject) -> None:
    env = build_environment(SPECS["support_store"]())
    for _ in range(data.draw(st.integers(1, 6))):
        name = data.draw(st.sampled_from(_tool_names("support_store")) | st.text(max_size=12))
        result = env.call(name, data.draw(_arguments("support_store")))
        assert isinstance(result, ToolResult)
        assert isinstance(result.output, str)
        assert (result.error is None) or result.output.startswith("error:")
    json.dumps(env.snapshot(), allow_nan=False)
