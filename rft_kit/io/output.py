"""Guards every output file goes through: not one of the inputs, one writer at a time, resumed only if regular.

* An output that is one of the run's inputs (the same path, a symlink or a hard link to it: same device and inode)
  is refused before anything is written: appending grades to the items file destroys the input.
* A regular output file is locked (``flock``, exclusive, non-blocking) for as long as it is open: a second process
  given the same ``-o`` fails at once, naming the file, instead of interleaving duplicate records. The lock belongs
  to the open file, so a killed process never leaves a stale one.
* Only a regular file is read back to resume. ``/dev/stdout`` may be a pipe (reading it would wait forever) and
  ``/dev/full`` reads zeros without end; such outputs are written, never read.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from ..errors import InputError

__all__ = ["OutputBusy", "check_not_input", "is_regular_file", "lock_output", "open_replacing", "output_error"]


class OutputBusy(InputError):
    """Another process holds the lock of an output file."""


def is_regular_file(path: str | Path) -> bool:
    """Whether ``path`` exists and is a regular file (after symlinks)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def check_not_input(output: str | Path, inputs: Iterable[tuple[str, str | Path | None]]) -> None:
    """Refuse an ``output`` that is one of ``inputs`` (``(option name, path)`` pairs; ``None`` paths are skipped).

    Raises:
        InputError: naming the input it would overwrite.
    """
    try:
        out = os.stat(output)
    except OSError:
        return  # not there yet: cannot be an existing input
    for name, path in inputs:
        if path is None:
            continue
        try:
            other = os.stat(path)
        except OSError:
            continue
        if (out.st_dev, out.st_ino) == (other.st_dev, other.st_ino) and stat.S_ISREG(out.st_mode):
            raise InputError(
                f"the output is the {name} file {path} (same file on disk); writing would destroy that input: "
                "choose another output path",
                source=str(output),
            )


def output_error(path: str | Path, exc: OSError) -> InputError:
    """A clear error for an output that cannot be created or written."""
    reason = exc.strerror or str(exc)
    hint = {
        errno.EACCES: "; check the permissions of the file and its folder",
        errno.EROFS: "; the file system is read-only",
        errno.ENOSPC: "; the device is full",
        errno.EISDIR: "; give a file name, not a folder",
    }.get(exc.errno or 0, "")
    return InputError(f"cannot write the output: {reason}{hint}", source=str(path))


def lock_output(fd: int, path: str | Path) -> None:
    """Take the exclusive lock of an open regular output file.

    Raises:
        OutputBusy: another process holds it.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputBusy(
            "another process is writing this output file (it holds the file's lock); wait for it to finish, or "
            "give this run another output",
            source=str(path),
        ) from None
    except OSError:
        pass  # a file system without locks (some network mounts): write unlocked rather than refuse


def open_replacing(path: str | Path) -> IO[str]:
    """Open ``path`` to be written from scratch, locked like an appended output (a second writer fails rather
    than interleaving); emptied only once the lock is held. A device or pipe is opened as is.

    Raises:
        InputError: the file cannot be created (:func:`output_error`); OutputBusy: another process writes it.
    """
    file = Path(path)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle = open(file, "a", encoding="utf-8")  # noqa: SIM115 - returned to the caller
    except OSError as exc:
        raise output_error(file, exc) from None
    try:
        if stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            lock_output(handle.fileno(), file)
            handle.truncate(0)
    except BaseException:
        handle.close()
        raise
    return handle
