"""Model judges: the engine behind ``score_model``, ``label_model`` and ``rubric_judge`` (docs/architecture.md: judges).

* :mod:`.engine`: async calls through the official ``openai`` SDK to any OpenAI-compatible endpoint, with bounded
  concurrency, retries (Retry-After aware), an on-disk reply cache, a token/cost ledger with a budget, and a
  structured-output fallback; :mod:`.runner` runs it on a private event loop for the sync grader API.
* :mod:`.prompt` and :mod:`.harden` build the judge prompt (the grader base class is
  :mod:`rft_kit.graders.judge_base`); :mod:`.schemas` and :mod:`.parse` ask for and read the verdict.
"""

from __future__ import annotations

from .calls import ChatRequest, JudgeReply
from .engine import EngineSettings, JudgeEngine
from .ledger import PRICES, Ledger, Price, Usage, price_for
from .options import JudgeOptions

__all__ = [
    "PRICES",
    "ChatRequest",
    "EngineSettings",
    "JudgeEngine",
    "JudgeOptions",
    "JudgeReply",
    "Ledger",
    "Price",
    "Usage",
    "price_for",
]
