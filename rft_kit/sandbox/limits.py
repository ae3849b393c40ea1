"""Resource limits for one sandboxed job."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

__all__ = ["Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """What one job may use. Defaults match the hosted python grader (2 minutes, 2 GB).

    Attributes:
        wall_s: wall-clock seconds before the job's whole session is killed (sleeping code uses no CPU).
        cpu_s: CPU seconds per process (``RLIMIT_CPU``).
        memory_mb: address-space limit per process (``RLIMIT_AS``), in MiB.
        output_bytes: cap on the job's stdout plus stderr; more kills the job with status ``output_limit``.
        processes: processes the job's uid may have at once (``RLIMIT_NPROC``; needs the uid drop to apply).
        file_size_mb: largest file the job may write (``RLIMIT_FSIZE``), in MiB.
        open_files: open file descriptors per process (``RLIMIT_NOFILE``).
    """

    wall_s: float = 120.0
    cpu_s: float = 120.0
    memory_mb: int = 2048
    output_bytes: int = 1 << 20
    processes: int = 64
    file_size_mb: int = 64
    open_files: int = 64

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"Limits.{f.name} must be a positive number, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """The limits as a JSON-ready dict (what travels to the server)."""
        # not dataclasses.asdict: it deep-copies field by field, and this runs once per sandboxed sample
        return {name: getattr(self, name) for name in _NAMES}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        """Rebuild from :meth:`to_dict` output; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


_NAMES = tuple(f.name for f in fields(Limits))
