"""Every registered environment as hosted tool endpoints (``rft serve-tools``), in Azure's agentic RFT protocol.

``POST /tools/{name}`` executes one tool call in the episode of its ``trace_id`` (built from the row's
``environment`` on the trace's first call, through the same ``env.call`` a local ``rft rollout`` uses, so outputs
are the same strings); ``POST /grade`` grades the trainer's sample together with what that trace did. See
:mod:`.traces` for expiry, retries and conflicts, :mod:`.protocol` for the bodies.
"""

from __future__ import annotations

from .app import ToolServerConfig, build_app, episode_sample
from .server import ToolServer, serve

__all__ = ["ToolServer", "ToolServerConfig", "build_app", "episode_sample", "serve"]
