"""Per-worker control groups: a real memory cap, a process cap and a CPU pin for everything a sandbox server runs.

``RLIMIT_AS`` bounds each process, not their sum: 60 processes of a fork-and-allocate bomb could each stay under a
2 GB address-space limit and still take the host down. A memory cgroup bounds the whole worker (its server, jobs,
candidates and tmpfs pages); a pids cgroup bounds its process count even for root. Only cgroup v1 controllers are
used (what this class of machine offers; docs/sandbox.md, cgroups); on a machine without writable v1 ``memory``
and ``pids`` hierarchies the sandbox runs without them and reports so.

A ``cpuset`` group holds each worker to its CPU: ``sched_setaffinity`` cannot widen a process's CPUs beyond its
cpuset (the kernel intersects the requested mask with it), so a job whose children call ``setsid()`` and ask for
every CPU stays on its worker's CPU and cannot starve the other workers. (The seccomp filter refuses
``sched_setaffinity`` too; the cpuset is the layer that holds without it.) cgroup v2 is not used: the machines this
was built on offer v1 only.

The worker's group is made under the group this process already lives in (moving processes elsewhere may be
refused), and a ``sh`` wrapper enters it before ``exec``-ing bubblewrap, so every process of the worker is inside from
its first instruction.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
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
    return {name: _base(name) is not None for name in ("memory", "pids", "cpuset")}


@dataclass
class WorkerCgroup:
    """The memory, pids and cpuset groups of one worker (any may be missing)."""

    memory: str | None
    pids: str | None
    memory_mb: int | None
    pids_max: int | None
    cpuset: str | None = None
    cpus: list[int] | None = None

    @classmethod
    def create(cls, name: str, memory_mb: int | None, pids_max: int, cpus: list[int] | None = None) -> WorkerCgroup:
        """Make (or reuse) the groups ``name`` with these limits (``memory_mb=None``: no memory and pids groups;
        ``cpus=None``: no cpuset); a controller that cannot be used is skipped."""
        memory = pids = cpuset = None
        mem_base = _base("memory") if memory_mb else None
        if memory_mb and mem_base is not None:
            path = os.path.join(mem_base, name)
            with contextlib.suppress(OSError):
                os.makedirs(path, exist_ok=True)
                _write(path, "memory.limit_in_bytes", str(memory_mb << 20))
                # without swap accounting this file is absent; with it, swap must not extend the cap
                if os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):
                    _write(path, "memory.memsw.limit_in_bytes", str(memory_mb << 20))
                memory = path
        pids_base = _base("pids") if memory_mb else None
        if pids_base is not None:
            path = os.path.join(pids_base, name)
            with contextlib.suppress(OSError):
                os.makedirs(path, exist_ok=True)
                _write(path, "pids.max", str(pids_max))
                pids = path
        cpuset_base = _base("cpuset") if cpus else None
        if cpus and cpuset_base is not None:
            path = os.path.join(cpuset_base, name)
            with contextlib.suppress(OSError):
                os.makedirs(path, exist_ok=True)
                # a v1 cpuset takes no process until both are set; memory nodes: whatever the parent has
                _write(path, "cpuset.mems", _read(cpuset_base, "cpuset.mems") or "0")
                _write(path, "cpuset.cpus", ",".join(str(c) for c in cpus))
                cpuset = path
        return cls(
            memory,
            pids,
            memory_mb if memory else None,
            pids_max if pids else None,
            cpuset,
            list(cpus) if cpuset and cpus else None,
        )

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run from inside the groups: a shell joins them, then ``exec``s the command."""
        files = [os.path.join(p, "cgroup.procs") for p in (self.memory, self.pids, self.cpuset) if p]
        if not files:
            return argv
        script = "".join(f'echo $$ > "${i + 1}" && ' for i in range(len(files)))
        script += f'shift {len(files)} && exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *files, *argv]

    def remove(self) -> None:
        """Delete the groups (they must be empty: call after the worker exited). The worker's last processes may
        take a moment to leave a group after their parent was reaped, so a busy group is retried briefly."""
        deadline = time.monotonic() + 1.0
        for path in (self.memory, self.pids, self.cpuset):
            while path:
                try:
                    os.rmdir(path)
                except OSError as exc:
                    if exc.errno == errno.EBUSY and time.monotonic() < deadline:
                        time.sleep(0.01)
                        continue
                break

    def info(self) -> dict[str, int | list[int] | None]:
        """The limits in force, for reports."""
        return {"memory_mb": self.memory_mb, "pids_max": self.pids_max, "cpus": self.cpus}


def _read(directory: str, name: str) -> str:
    try:
        with open(os.path.join(directory, name)) as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _write(directory: str, name: str, value: str) -> None:
    with open(os.path.join(directory, name), "w") as fh:
        fh.write(value)
