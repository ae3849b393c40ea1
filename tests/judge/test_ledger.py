"""Token and cost ledger: hand-computed costs, dated snapshots, overrides, unknown models, budgets."""

from __future__ import annotations

import pytest

from rft_kit.judge.ledger import Ledger, Price, Usage, price_for


def test_prices_for_families_snapshots_and_overrides() -> None:
    assert price_for("gpt-4o-mini-2024-07-18") == price_for("gpt-4o-mini") == Price(0.15, 0.075, 0.60)
    assert price_for("sim-judge") is None
    custom = {"sim-judge": Price(1.0, 0.5, 2.0)}
    assert price_for("sim-judge", custom) == Price(1.0, 0.5, 2.0)


def test_cost_hand_computed() -> None:
    # 1,000 prompt tokens of which 400 cached, 200 completion tokens at gpt-4o prices (2.50 / 1.25 / 10.00 per 1M):
    # 600 * 2.50e-6 + 400 * 1.25e-6 + 200 * 10e-6 = 0.0015 + 0.0005 + 0.002 = 0.004
    usage = Usage(prompt_tokens=1000, completion_tokens=200, total_tokens=1200, cached_tokens=400)
    ledger = Ledger()
    ledger.record("gpt-4o", usage)
    ledger.record("gpt-4o", usage)
    assert ledger.cost_usd == pytest.approx(0.008)
    snapshot = ledger.snapshot()
    assert snapshot["per_model"]["gpt-4o"]["calls"] == 2
    assert snapshot["per_model"]["gpt-4o"]["cached_tokens"] == 800
    assert snapshot["tokens"] == 2400


def test_unknown_model_makes_the_cost_unknown() -> None:
    ledger = Ledger()
    ledger.record("gpt-4o", Usage(10, 10, 20, 0))
    ledger.record("my-local-model", Usage(10, 10, 20, 0))
    assert ledger.cost_usd is None
    assert ledger.snapshot()["per_model"]["my-local-model"]["cost_usd"] is None


def test_budgets() -> None:
    by_tokens = Ledger(max_tokens=100)
    assert by_tokens.exhausted() is None
    by_tokens.record("x", Usage(60, 40, 100, 0))
    assert (by_tokens.exhausted() or "").startswith("budget exhausted: 100 tokens used")
    by_usd = Ledger(max_usd=0.001)
    by_usd.record("gpt-4o", Usage(100, 0, 100, 0))  # $0.00025
    assert by_usd.exhausted() is None
    by_usd.record("gpt-4o", Usage(0, 100, 100, 0))  # + $0.001
    assert (by_usd.exhausted() or "").startswith("budget exhausted: $0.0013")
