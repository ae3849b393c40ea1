"""The interface every local embedding backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["EmbeddingBackend", "FloatMatrix"]

FloatMatrix = npt.NDArray[np.float32]
"""A ``(n_texts, dimension)`` float32 matrix, one embedding per row."""


class EmbeddingBackend(ABC):
    """A local text-embedding model behind the server's ``/v1/embeddings`` route.

    Implementations must be thread-safe: the server calls :meth:`embed` from one thread per HTTP connection.

    Attributes:
        name: the model id the server answers with (``"all-MiniLM-L6-v2"``).
        dimension: the length of every vector.
        simulated: ``True`` when the vectors do not come from a trained model (say so to users).
    """

    name: str
    dimension: int
    simulated: bool = False

    def load(self) -> None:  # noqa: B027 - an optional hook, deliberately not abstract
        """Load the model now rather than on the first :meth:`embed` call (a no-op for models with nothing to load).

        Raises:
            DependencyError: the model's packages or files are missing.
        """

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts``.

        Args:
            texts: the texts, in order; may be empty.

        Returns:
            A ``(len(texts), dimension)`` float32 matrix whose rows are L2-normalised (a row is all zeros only when
            the text has no features at all).
        """

    @abstractmethod
    def count_tokens(self, texts: Sequence[str]) -> int:
        """Return the number of tokens the model reads for ``texts`` (reported as ``usage`` by the server)."""

    def describe(self) -> dict[str, Any]:
        """Return a JSON-able description for ``/v1/models`` and reports."""
        return {"id": self.name, "dimension": self.dimension, "simulated": self.simulated}
