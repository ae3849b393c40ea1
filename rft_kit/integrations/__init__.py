"""rft-kit graders as reward functions of open-source trainers.

* :mod:`.trl`: :func:`~rft_kit.integrations.trl.reward_funcs` for TRL's ``GRPOTrainer`` (no TRL import needed).
* :mod:`.verl`: :func:`~rft_kit.integrations.verl.make_compute_score` for verl's ``reward.custom_reward_function``.
* :mod:`.trl_env`: :func:`~rft_kit.integrations.trl.environment_factory` for ``GRPOTrainer(environment_factory=...)``.
* :mod:`.verifiers`: the classes ``rft export verifiers`` packages (needs the ``verifiers`` extra).
* :mod:`.bedrock`: the Bedrock / Nova RFT reward Lambda (``rft export bedrock``).
"""

from __future__ import annotations

__all__: list[str] = []
