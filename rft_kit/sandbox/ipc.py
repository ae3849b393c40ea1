"""IPC that outlives a process, closed or cleaned between jobs (shared by the fork-server and the candidate pool).

System V IPC objects, POSIX message queues and kernel keyrings outlive the process that made them, so one job could
leave data in them for the next (a "recorder" sample storing answers that a later "replayer" sample reads back). The
layers, each enough on its own for what it covers:

* the seccomp filter (when installed) refuses ``shmget``/``semget``/``msgget``, every ``mq_*`` call and the keyring
  calls (``add_key``, ``keyctl``, ``request_key``);
* each sandbox has its own IPC namespace with its ``mqueue`` file system mounted at ``/dev/mqueue``;
  :func:`seal_posix_mq` makes its root read-only for everyone but root, so no job or candidate can create a queue at
  all (the kernel checks write permission on that directory for ``mq_open(O_CREAT)`` too);
* between jobs, :func:`remove_sysv_ipc` deletes whatever System V objects are left in the namespace, and
  :func:`remove_posix_mq` the message queues where the directory could not be sealed;
* keyrings belong to a uid, not a namespace: without seccomp, every job and candidate process empties its uid's
  keyrings with :func:`clear_keyrings` before any untrusted code runs.

POSIX shared memory needs a writable ``/dev/shm``, which the sandboxes make root-owned and read-only to jobs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os

from . import privileges

__all__ = ["MQUEUE", "clear_keyrings", "remove_posix_mq", "remove_sysv_ipc", "seal_posix_mq"]

_IPC_RMID = 0
MQUEUE = "/dev/mqueue"
"""Where the sandboxes mount their IPC namespace's POSIX message queue file system (``bwrap --mqueue``)."""
_SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
_KEYCTL_GET_PERSISTENT, _KEYCTL_CLEAR = 22, 7
_KEY_SPEC_THREAD_KEYRING, _KEY_SPEC_USER_KEYRING, _KEY_SPEC_USER_SESSION_KEYRING = -1, -4, -5


def seal_posix_mq() -> bool:
    """Make this IPC namespace's message-queue directory writable by root only (call as root, before any job).
    Returns whether it is sealed (``False``: not mounted here, or not root)."""
    try:
        os.chmod(MQUEUE, 0o755)
        return os.stat(MQUEUE).st_mode & 0o022 == 0
    except OSError:
        return False


def remove_posix_mq() -> None:
    """Delete every POSIX message queue in this IPC namespace (they are files of the mounted ``mqueue`` fs)."""
    try:
        names = os.listdir(MQUEUE)
    except OSError:
        return
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(MQUEUE, name))


def clear_keyrings() -> None:
    """Empty the calling uid's user, user-session and persistent keyrings (run in a job or candidate process, as its
    uid, before untrusted code: keyrings are per uid and would carry data from one job to the next). Without a known
    ``keyctl`` number for this architecture it does nothing; with seccomp the calls are refused anyway."""
    if _SYS_KEYCTL is None:
        return
    libc = privileges._libc
    for ring in (_KEY_SPEC_USER_KEYRING, _KEY_SPEC_USER_SESSION_KEYRING):
        libc.syscall(_SYS_KEYCTL, ctypes.c_long(_KEYCTL_CLEAR), ctypes.c_long(ring))
    persistent = libc.syscall(
        _SYS_KEYCTL, ctypes.c_long(_KEYCTL_GET_PERSISTENT), ctypes.c_long(-1), ctypes.c_long(_KEY_SPEC_THREAD_KEYRING)
    )
    if persistent > 0:
        libc.syscall(_SYS_KEYCTL, ctypes.c_long(_KEYCTL_CLEAR), ctypes.c_long(persistent))


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
