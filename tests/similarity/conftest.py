"""Shared fixtures: METEOR loads WordNet (~2.5 s), so one instance serves the whole session."""

from __future__ import annotations

import pytest

from rft_kit.similarity import get_metric
from rft_kit.similarity.meteor import MeteorMetric


@pytest.fixture(scope="session")
def meteor() -> MeteorMetric:
    metric = get_metric("meteor")
    assert isinstance(metric, MeteorMetric)
    return metric
