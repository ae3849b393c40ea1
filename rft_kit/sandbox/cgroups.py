"""Per-worker control groups: a real memory cap and a process cap for everything a sandbox server runs.

``RLIMIT_AS`` bounds each process, not their sum: 60 processes of a fork-and-allocate bomb could each stay under a
2 GB address-space limit and still take the host down. A memory cgroup bounds the whole worker (its server, jobs,
candidates and tmpfs pages); a pids cgroup bounds its process count even for root. Only cgroup v1 controllers are
used (what this class of machine offers; docs/sandbox.md, cgroups); on a machine without writable v1 ``memory``
and ``pids`` hierarchies the sandbox runs without them and reports so.

The worker's group is made under the group this process already lives in (moving processes elsewhere may be
refused), and a ``sh`` wrapper enters it before ``exec``-ing bubblewrap, so every process of the worker is inside from
its first instruction.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

__all__ = ["WorkerCgroup", "available"]

_ROOT = "/sys/fs/cgroup"


def _own_path(controller: str) -> str | None:
    """This process's group in a v1 hierarchy (``/`` for the root), or ``None`` if the controller is not mounted."""
    try:
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controller in controllers.split(","):
                    return path
    except OSError:
        return None
    return None


def _base(controller: str) -> str | None:
    path = _own_path(controller)
    if path is None:
        return None
    base = os.path.join(_ROOT, controller, path.lstrip("/"))
    return base if os.access(base, os.W_OK) and os.path.exists(os.path.join(base, "cgroup.procs")) else None


def available() -> dict[str, bool]:
    """Which v1 controllers this process can create groups in."""
    return {name: _base(name) is not None for name in ("memory", "pids")}


@dataclass
class WorkerCgroup:
    """The memory and pids groups of one worker (either may be missing)."""

    memory: str | None
    pids: str | None
    memory_mb: int | None
    pids_max: int | None

    @classmethod
    def create(cls, name: str, memory_mb: int, pids_max: int) -> WorkerCgroup:
        """Make (or reuse) the groups ``name`` with these limits; a controller that cannot be used is skipped."""
        memory = pids = None
        mem_base = _base("memory")
        if mem_base is not None:
            path = os.path.join(mem_base, name)
            with contextlib.suppress(OSError):
                os.makedirs(path, exist_ok=True)
                _write(path, "memory.limit_in_bytes", str(memory_mb << 20))
                # without swap accounting this file is absent; with it, swap must not extend the cap
                if os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):
                    _write(path, "memory.memsw.limit_in_bytes", str(memory_mb << 20))
                memory = path
        pids_base = _base("pids")
        if pids_base is not None:
            path = os.path.join(pids_base, name)
            with contextlib.suppress(OSError):
                os.makedirs(path, exist_ok=True)
                _write(path, "pids.max", str(pids_max))
                pids = path
        return cls(memory, pids, memory_mb if memory else None, pids_max if pids else None)

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run from inside the groups: a shell joins them, then ``exec``s the command."""
        files = [os.path.join(p, "cgroup.procs") for p in (self.memory, self.pids) if p]
        if not files:
            return argv
        script = "".join(f'echo $$ > "${i + 1}" && ' for i in range(len(files)))
        script += f'shift {len(files)} && exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *files, *argv]

    def remove(self) -> None:
        """Delete the groups (they must be empty: call after the worker exited)."""
        for path in (self.memory, self.pids):
            if path:
                with contextlib.suppress(OSError):
                    os.rmdir(path)

    def info(self) -> dict[str, int | None]:
        """The limits in force, for reports."""
        return {"memory_mb": self.memory_mb, "pids_max": self.pids_max}


def _write(directory: str, name: str, value: str) -> None:
    with open(os.path.join(directory, name), "w") as fh:
        fh.write(value)
