"""Optional seccomp-bpf deny-list for sandboxed processes (extra ``sandbox-seccomp``: ``pip install pyseccomp``).

A second layer under the namespaces: even inside the sandbox, job code may not start programs, open non-Unix
sockets, trace or read other processes' memory, create namespaces, mount, load kernel modules or use io_uring/bpf.

The filter is compiled to a BPF program once, on the host, by :func:`compile_filter` (the only code that needs
``pyseccomp``); the sandbox processes receive the bytes and :func:`install` hands them to the kernel with one
``prctl``. Sandbox processes therefore never import ``pyseccomp``, which pulls in ``subprocess``, ``threading``
and ``random``: their at-fork hooks and pages would be paid again in every forked job and candidate.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os

__all__ = ["DENIED_SYSCALLS", "compile_filter", "install"]

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
    # and so do POSIX message queues (also sealed by the sandbox's read-only /dev/mqueue: see rft_kit.sandbox.ipc)
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    # a worker's CPU pin must hold: a job that widened its affinity would take the other workers' CPUs (the cpuset
    # cgroup, where available, bounds it too)
    "sched_setaffinity",
)
"""System calls that fail with EPERM in job processes."""

# clone flags that create namespaces; fork() does not use them
_CLONE_NS_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x00000080)

_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def compile_filter(become: tuple[int, int] | None = None) -> bytes:
    """The deny-list as a raw BPF program (host side; needs ``pyseccomp``).

    ``become=(uid, gid)``: the variant for the candidate pool, which stays root and whose children must still switch
    to the candidate uid: ``setresuid``/``setresgid`` are allowed with exactly these ids (all three of each), nothing
    else. A candidate, already that uid, gains nothing from it.
    """
    import socket

    import pyseccomp as sc  # type: ignore[import-untyped,import-not-found,unused-ignore]

    f = sc.SyscallFilter(defaction=sc.ALLOW)
    deny = sc.ERRNO(errno.EPERM)
    for name in DENIED_SYSCALLS:
        if become is not None and name in ("setresuid", "setresgid"):
            target = become[0] if name == "setresuid" else become[1]
            for arg in range(3):  # rules for one syscall are OR-ed: any id other than the target is refused
                f.add_rule(deny, name, sc.Arg(arg, sc.NE, target))
            continue
        # a syscall this architecture does not have is skipped
        with contextlib.suppress(RuntimeError, ValueError, OSError):
            f.add_rule(deny, name)
    f.add_rule(deny, "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    for flag in _CLONE_NS_FLAGS:
        f.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # clone3 passes its flags in a struct the filter cannot read: make libc fall back to clone
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(write_fd, "wb", closefd=True) as sink:
            f.export_bpf(sink)
        bpf = b""
        while chunk := os.read(read_fd, 1 << 16):
            bpf += chunk
    finally:
        os.close(read_fd)
    if not bpf or len(bpf) % 8:
        raise RuntimeError(f"pyseccomp exported a malformed BPF program ({len(bpf)} bytes)")
    return bpf


def install(bpf: bytes) -> None:
    """Install a BPF program from :func:`compile_filter` in the calling process (irreversible; needs no-new-privs,
    set by the caller). Children inherit it."""
    from .privileges import _libc

    buffer = ctypes.create_string_buffer(bpf, len(bpf))
    program = _SockFprog(len(bpf) // 8, ctypes.addressof(buffer))
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
