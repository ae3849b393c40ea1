"""Bounded clean-up of a job's working directory (used by the candidate pool and the fork-server).

A job may leave anything in its directory: a tree thousands of levels deep, hundreds of thousands of entries,
directories it made unreadable. The next job must neither inherit any of it nor pay for deleting it, so :func:`wipe`

* never recurses and keeps two directory fds open at most, whatever the depth: every subdirectory it meets is first
  moved up to the top level (a rename), then emptied there and removed;
* never follows a symlink, and opens directories with ``O_NOFOLLOW``;
* stops at a time budget and says so: the caller then retires the worker (its private ``/tmp`` goes away with its
  mount namespace) instead of charging the next job for the rest.

Every process of the job is dead when this runs, so nothing changes under it. (Not ``shutil.rmtree``: it recurses,
and ``shutil`` imports ``bz2`` and so ``threading``, whose at-fork hook every candidate would run.)
"""

from __future__ import annotations

import os
import time

__all__ = ["WIPE_BUDGET_S", "wipe"]

WIPE_BUDGET_S = 1.0
"""Time one job's leftovers may take to delete. A program's few files take microseconds; a job over the budget made a
mess on purpose (or nearly so), and its worker is replaced rather than cleaned."""

_CHECK_EVERY = 255  # entries between two looks at the clock
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class _OverBudget(Exception):
    pass


class _Wipe:
    def __init__(self, root: int, deadline: float) -> None:
        self.root = root
        self.deadline = deadline
        self.ops = 0
        self.serial = 0
        self.pending: list[str] = []
        self.privileged = os.geteuid() == 0  # root reads and moves any directory; others must chmod first

    def tick(self) -> None:
        self.ops += 1
        if not self.ops & _CHECK_EVERY and time.monotonic() > self.deadline:
            raise _OverBudget

    def empty(self, fd: int) -> None:
        """Unlink the files in the directory at ``fd`` and queue its subdirectories (moved to the top level)."""
        with os.scandir(fd) as it:
            entries = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in it]
        for name, is_dir in entries:
            self.tick()
            if not is_dir:
                os.unlink(name, dir_fd=fd)
            elif fd == self.root:
                self.pending.append(name)
            else:
                self.pending.append(self.move_up(fd, name))

    def move_up(self, fd: int, name: str) -> str:
        if not self.privileged:
            os.chmod(name, 0o700, dir_fd=fd)  # moving a directory rewrites its "..": it must be writable
        while True:
            self.serial += 1
            new = f".rft-wipe-{self.serial}"
            try:
                os.stat(new, dir_fd=self.root, follow_symlinks=False)
            except FileNotFoundError:
                os.rename(name, new, src_dir_fd=fd, dst_dir_fd=self.root)
                return new

    def run(self) -> None:
        self.empty(self.root)
        while self.pending:
            name = self.pending.pop()
            if not self.privileged:
                os.chmod(name, 0o700, dir_fd=self.root)  # the job may have made it unreadable
            fd = os.open(name, _DIR, dir_fd=self.root)
            try:
                self.empty(fd)
            finally:
                os.close(fd)
            os.rmdir(name, dir_fd=self.root)
            self.tick()


def wipe(path: str, budget_s: float = WIPE_BUDGET_S) -> str | None:
    """Delete everything inside the directory ``path`` (not ``path`` itself) within ``budget_s`` seconds.

    Returns ``None`` when ``path`` is empty afterwards, else why it is not (over budget, or an error).
    """
    try:
        root = os.open(path, _DIR)
    except OSError as exc:
        return f"cannot open {path}: {exc.strerror}"
    job = _Wipe(root, time.monotonic() + budget_s)
    try:
        job.run()
        left = os.listdir(root)
    except _OverBudget:
        return f"its files took more than {budget_s:g} s to delete ({job.ops} entries so far)"
    except OSError as exc:
        return f"could not delete its files: {exc!r}"
    finally:
        os.close(root)
    return f"{len(left)} entries could not be deleted" if left else None
