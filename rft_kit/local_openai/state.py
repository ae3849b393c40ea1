"""Everything a running server's routes share."""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import ServerConfig
from .embedding_models import EmbeddingModels
from .faults import FaultInjector
from .stats import ServerStats

__all__ = ["ServerState"]


@dataclass
class ServerState:
    """Shared, thread-safe state of one server: settings, models, faults and counters.

    Routes added later (chat completions, the simulated judge) hang their own shared objects here.
    """

    config: ServerConfig
    embeddings: EmbeddingModels
    faults: FaultInjector
    stats: ServerStats = field(default_factory=ServerStats)

    @classmethod
    def from_config(cls, config: ServerConfig) -> ServerState:
        """Build the state for ``config``.

        Raises:
            ValueError: ``config.default_embedding_model`` is not installed.
        """
        return cls(
            config=config,
            embeddings=EmbeddingModels(config.default_embedding_model),
            faults=FaultInjector(config),
        )
