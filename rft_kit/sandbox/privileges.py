"""Per-process hardening applied inside the sandbox: rlimits, the uid drop, no-new-privs, optional seccomp.

Runs in forked children of the fork-server, so it sticks to the standard library (``pyseccomp`` is optional).
"""

from __future__ import annotations

import ctypes
import os
import resource

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing into every candidate (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["apply_rlimits", "drop_privileges", "rlimits", "seccomp_available", "set_dumpable", "set_no_new_privs"]

_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38

# Loaded at import (in the server), not in each forked job: dlopen in every child costs page faults per job
# (benchmarks/bench_code.py measures sandbox throughput).
_libc: Any = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, arg: int) -> None:
    if _libc.prctl(option, arg, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}, {arg}) failed")


def set_no_new_privs() -> None:
    """``PR_SET_NO_NEW_PRIVS``: no execve can ever grant privileges again (also what seccomp requires)."""
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)


def set_dumpable(flag: bool) -> None:
    """Set ``PR_SET_DUMPABLE``. A non-dumpable process cannot be ptraced, and its ``/proc/PID/{mem,fd,environ}``
    cannot be opened, even by other processes of its own uid (defence in depth: candidates already run as another
    uid than their test runner)."""
    _prctl(_PR_SET_DUMPABLE, 1 if flag else 0)


def rlimits(limits: dict[str, Any]) -> list[tuple[int, tuple[int, int]]]:
    """The ``setrlimit`` calls that apply a job's limits, as ``(resource, (soft, hard))`` pairs."""

    def both(value: int) -> tuple[int, int]:
        return (value, value)

    cpu = max(1, int(limits["cpu_s"] + 0.999))
    return [
        # The soft CPU limit sends SIGXCPU; the hard one a second later is SIGKILL for code that catches SIGXCPU.
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, both(int(limits["memory_mb"]) << 20)),
        (resource.RLIMIT_FSIZE, both(int(limits["file_size_mb"]) << 20)),
        (resource.RLIMIT_NOFILE, both(int(limits["open_files"]))),
        (resource.RLIMIT_NPROC, both(int(limits["processes"]))),
        (resource.RLIMIT_CORE, both(0)),
    ]


def apply_rlimits(limits: dict[str, Any]) -> None:
    """Apply the job's limits to the calling process (inherited by everything it forks)."""
    for kind, value in rlimits(limits):
        resource.setrlimit(kind, value)


def drop_privileges(uid: int, gid: int, seccomp_bpf: bytes | None) -> None:
    """Become ``uid``/``gid`` for good (if root), forbid regaining privileges, then install the seccomp filter (a
    BPF program from :func:`rft_kit.sandbox.seccomp.compile_filter`), if given.

    ``RLIMIT_NPROC`` is ignored for root, so the uid drop is also what makes the process limit real.
    """
    if os.getuid() == 0:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    set_no_new_privs()
    # Changing uid already resets dumpable, but say it: the runner's safety depends on it.
    set_dumpable(False)
    if seccomp_bpf:
        from .seccomp import install

        install(seccomp_bpf)


def seccomp_available() -> bool:
    """Whether the optional ``pyseccomp`` package (extra ``sandbox-seccomp``) and libseccomp can be loaded."""
    try:
        import pyseccomp  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: F401
    except Exception:
        return False
    return True
