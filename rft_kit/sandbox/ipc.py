"""System V IPC clean-up between jobs (shared by the fork-server and the candidate pool).

System V IPC objects outlive the process that made them, so one job could leave data in them for the next. Each
sandbox has its own IPC namespace, so whatever is left there belongs to jobs; seccomp, when installed, forbids
creating such objects at all, and then this finds nothing.
"""

from __future__ import annotations

import contextlib
import os

from . import privileges

__all__ = ["remove_sysv_ipc"]

_IPC_RMID = 0


def remove_sysv_ipc() -> None:
    """Delete System V IPC objects a job left in this worker's IPC namespace (they would outlive it and reach the
    next job). Without CAP_SYS_ADMIN only the owner may delete them, so a short-lived child becomes each owner; this
    costs a fork only when something was left (seccomp, when installed, forbids creating them at all)."""
    owners: dict[int, list[tuple[str, int]]] = {}
    for kind in ("shm", "sem", "msg"):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                lines = fh.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 8:
                ident, owner = int(fields[1]), _ipc_owner(kind, fields)
                owners.setdefault(owner, []).append((kind, ident))
    for owner, objects in owners.items():
        pid = os.fork()
        if pid == 0:  # pragma: no cover - helper process
            try:
                if os.getuid() == 0:
                    with contextlib.suppress(OSError):  # the gid does not matter for IPC_RMID
                        os.setresgid(owner, owner, owner)
                    os.setresuid(owner, owner, owner)
                libc = privileges._libc
                for kind, ident in objects:
                    if kind == "shm":
                        libc.shmctl(ident, _IPC_RMID, None)
                    elif kind == "sem":
                        libc.semctl(ident, 0, _IPC_RMID)
                    else:
                        libc.msgctl(ident, _IPC_RMID, None)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)


def _ipc_owner(kind: str, fields: list[str]) -> int:
    """The owner uid column of a /proc/sysvipc line (its position differs per kind)."""
    column = {"shm": 7, "sem": 4, "msg": 7}[kind]
    return int(fields[column])
