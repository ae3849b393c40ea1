"""Optional seccomp-bpf deny-list for job processes (extra ``sandbox-seccomp``: ``pip install pyseccomp``).

A second layer under the namespaces: even inside the sandbox, job code may not start programs, open non-Unix
sockets, trace or read other processes' memory, create namespaces, mount, load kernel modules or use io_uring/bpf.
The filter is built once in the server (:func:`prepare`) and loaded in every job process after the uid drop
(~0.6 ms per process on the reference VM, SANDBOX_NOTES.md section 4).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import socket
from typing import Any

__all__ = ["DENIED_SYSCALLS", "load_filter", "prepare"]

DENIED_SYSCALLS = (
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "perf_event_open",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setgroups",
    "setfsuid",
    "setfsgid",
    # System V IPC objects outlive the process that made them: one job could leave data for the next
    "shmget",
    "semget",
    "msgget",
)
"""System calls that fail with EPERM in job processes."""

# clone flags that create namespaces; fork() does not use them
_CLONE_NS_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080)

_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_filter: Any = None
_program: tuple[Any, _SockFprog] | None = None  # (buffer, struct) of the compiled BPF, built once in the server


def prepare() -> None:
    """Build and compile the filter once (in the server), so a forked job only hands it to the kernel.

    Compiling per process (``seccomp_load``) cost ~130 page faults per job here; loading the precompiled program
    with ``prctl`` costs next to nothing.
    """
    global _filter, _program
    import pyseccomp as sc  # type: ignore[import-untyped,import-not-found,unused-ignore]

    f = sc.SyscallFilter(defaction=sc.ALLOW)
    deny = sc.ERRNO(errno.EPERM)
    for name in DENIED_SYSCALLS:
        # a syscall this architecture does not have is skipped
        with contextlib.suppress(RuntimeError, ValueError, OSError):
            f.add_rule(deny, name)
    f.add_rule(deny, "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    for flag in _CLONE_NS_FLAGS:
        f.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # clone3 passes its flags in a struct the filter cannot read: make libc fall back to clone
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    _filter = f
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(write_fd, "wb", closefd=True) as sink:
            f.export_bpf(sink)
        bpf = b""
        while chunk := os.read(read_fd, 1 << 16):
            bpf += chunk
    finally:
        os.close(read_fd)
    if bpf and len(bpf) % 8 == 0:
        buffer = ctypes.create_string_buffer(bpf, len(bpf))
        _program = (buffer, _SockFprog(len(bpf) // 8, ctypes.addressof(buffer)))


def load_filter() -> None:
    """Install the prepared filter in the calling process (irreversible; needs no-new-privs, set by the caller)."""
    if _filter is None:
        prepare()
    if _program is not None:
        from .privileges import _libc

        if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(_program[1]), 0, 0) == 0:
            return
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    _filter.load()
