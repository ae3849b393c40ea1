"""The support_store environment: lookups, actions, physical limits and the snapshot."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rft_kit.environments import EnvironmentFailure, build_environment


def spec() -> dict[str, Any]:
    return {
        "name": "support_store",
        "today": "2026-03-10",
        "customers": [
            {"id": "C-1", "name": "Ana", "email": "ana@example.com", "tier": "gold"},
            {"id": "C-2", "name": "Bo", "email": "bo@example.com", "tier": "standard"},
        ],
        "orders": [
            {
                "id": "O-1",
                "customer_id": "C-1",
                "status": "delivered",
                "placed": "2026-03-01",
                "delivered": "2026-03-04",
                "items": [
                    {"sku": "TEE-M", "product_id": "TEE", "name": "Tee", "price_cents": 1500, "final_sale": False},
                    {"sku": "CAP-1", "product_id": "CAP", "name": "Cap", "price_cents": 900, "final_sale": True},
                ],
            },
            {
                "id": "O-2",
                "customer_id": "C-2",
                "status": "processing",
                "placed": "2026-03-09",
                "delivered": None,
                "items": [
                    {"sku": "TEE-L", "product_id": "TEE", "name": "Tee", "price_cents": 1500, "final_sale": False}
                ],
            },
        ],
        "products": [
            {"id": "TEE", "name": "Tee", "variants": {"TEE-M": 1, "TEE-L": 1, "TEE-S": 0}},
            {"id": "CAP", "name": "Cap", "variants": {"CAP-1": 3}},
        ],
    }


def call(env: Any, name: str, /, **args: Any) -> Any:
    result = env.call(name, json.dumps(args))
    return result if result.error else json.loads(result.output)


def test_lookups() -> None:
    env = build_environment(spec())
    assert call(env, "find_customer", email=" ANA@example.com") == {
        "customer_id": "C-1",
        "name": "Ana",
        "tier": "gold",
        "orders": ["O-1"],
    }
    order = call(env, "get_order", order_id="o-1")
    assert order["customer_id"] == "C-1"
    assert [i["status"] for i in order["items"]] == ["kept", "kept"]
    assert call(env, "get_product", product_id="TEE")["stock"] == {"TEE-M": 1, "TEE-L": 1, "TEE-S": 0}
    missing = call(env, "find_customer", email="nobody@example.com")
    assert missing.error == "tool_error"
    assert "no customer with email" in missing.output


def test_refund_exchange_cancel_escalate_and_snapshot() -> None:
    env = build_environment(spec())
    assert call(env, "refund_items", order_id="O-1", skus=["CAP-1"], reason="too small")["amount_cents"] == 900
    again = call(env, "refund_items", order_id="O-1", skus=["CAP-1"], reason="again")
    assert again.error == "tool_error"
    assert "already refunded" in again.output
    assert call(env, "exchange_item", order_id="O-1", sku="TEE-M", new_sku="TEE-S").error == "tool_error"  # no stock
    assert (
        call(env, "exchange_item", order_id="O-1", sku="TEE-M", new_sku="CAP-1").error == "tool_error"
    )  # other product
    assert call(env, "exchange_item", order_id="O-1", sku="TEE-M", new_sku="TEE-L")["new_sku"] == "TEE-L"
    assert call(env, "refund_items", order_id="O-2", skus=["TEE-L"], reason="x").error == "tool_error"  # not delivered
    assert call(env, "cancel_order", order_id="O-2")["status"] == "cancelled"
    assert call(env, "cancel_order", order_id="O-1").error == "tool_error"
    assert call(env, "escalate_to_human", order_id="O-1", summary="wants more")["ticket_id"] == "T-1"
    assert env.snapshot() == {
        "orders": {
            "O-1": {"status": "delivered", "items": {"TEE-M": "exchanged", "CAP-1": "refunded"}},
            "O-2": {"status": "cancelled", "items": {"TEE-L": "kept"}},
        },
        "refunds": [{"order_id": "O-1", "skus": ["CAP-1"], "amount_cents": 900}],
        "refunded_cents": 900,
        "exchanges": [{"order_id": "O-1", "sku": "TEE-M", "new_sku": "TEE-L"}],
        "cancelled": ["O-2"],
        "escalated_orders": ["O-1"],
        "stock": {"TEE-M": 1, "TEE-L": 0, "TEE-S": 0, "CAP-1": 3},
        "other_actions": [],
    }


def test_the_row_is_not_mutated() -> None:
    row = spec()
    before = json.dumps(row)
    env = build_environment(row)
    call(env, "refund_items", order_id="O-1", skus=["TEE-M"], reason="x")
    assert json.dumps(row) == before


def test_malformed_spec_is_an_environment_failure() -> None:
    with pytest.raises(EnvironmentFailure, match="no 'customers' field"):
        build_environment({"name": "support_store", "orders": []})
    with pytest.raises(EnvironmentFailure, match="malformed spec"):
        build_environment({"name": "support_store", "customers": [{"id": "C"}], "orders": []})


def test_catalogue_search_and_dispatch() -> None:
    catalogue = {**spec(), "catalogue": {"declared": ["find_customer"]}}
    env = build_environment(catalogue)
    offered = [s["function"]["name"] for s in env.tool_schemas(catalogue)]
    assert offered == ["find_customer", "search_tools", "call_tool"]
    assert len(env.callable_tools()) > 200
    found = call(env, "search_tools", query="refund items of an order", limit=3)
    assert found[0]["name"] == "refund_items"
    assert found[0]["parameters"]["required"] == ["order_id", "skus", "reason"]
    via = call(env, "call_tool", name="refund_items", arguments={"order_id": "O-1", "skus": ["TEE-M"], "reason": "x"})
    assert via["amount_cents"] == 1500
    # the dispatched call is validated like a direct one, and keeps the inner error kind
    bad = env.call("call_tool", json.dumps({"name": "refund_items", "arguments": {"order_id": 3}}))
    assert bad.error == "bad_arguments"
    assert "invalid arguments for refund_items" in bad.output
    assert env.call("call_tool", json.dumps({"name": "refnd", "arguments": {}})).error == "unknown_tool"
    # a distractor that writes is recorded
    assert call(env, "issue_store_credit", customer_id="C-1", details="15 USD")["ok"] is True
    assert env.snapshot()["other_actions"] == [{"tool": "issue_store_credit", "target": "C-1"}]
    # without a catalogue, the dispatch tools do not exist
    plain = build_environment(spec())
    assert plain.call("search_tools", '{"query": "refund"}').error == "unknown_tool"
    assert plain.call("issue_store_credit", '{"customer_id": "C-1"}').error == "unknown_tool"
