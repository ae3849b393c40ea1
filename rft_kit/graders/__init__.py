"""Grader types. The registry (:mod:`rft_kit.graders.registry`) maps each config ``type`` to its class."""

from .base import Grader, SampleLike, as_sample
from .registry import BUILTIN, GraderSpec, get_spec, known_types

__all__ = ["BUILTIN", "Grader", "GraderSpec", "SampleLike", "as_sample", "get_spec", "known_types"]
