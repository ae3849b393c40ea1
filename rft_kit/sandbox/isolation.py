"""Find out how strongly this machine can isolate jobs, and build the command that starts one sandboxed server.

Levels, strongest first:

* ``bwrap``: each fork-server runs inside bubblewrap with its own network (no interfaces but a down loopback), pid,
  IPC, UTS and cgroup namespaces, a filesystem made of read-only binds of only what Python needs (``/usr``, the
  interpreter prefix, the virtualenv, the rft_kit package, a few ``/etc`` files) plus a private size-capped ``/tmp``,
  and only the capabilities the server needs to drop to the job uid. Host ``/root``, ``/home``, ``/tmp``, the
  repository and its parents are simply not there.
  Where the machine has writable cgroup v1 ``memory``/``pids`` hierarchies, each worker also gets a memory cap and a
  process cap for all it runs (:mod:`rft_kit.sandbox.cgroups`).
* ``none``: plain processes with rlimits and the uid drop. The job can read world-readable host files and use the
  network. Refused unless the caller opts in (``allow_unisolated=True`` or ``RFT_KIT_ALLOW_UNISOLATED=1``).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .privileges import seccomp_available

__all__ = ["IsolationReport", "bwrap_command", "detect", "package_dir", "server_argv"]

INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `apt-get install -y bubblewrap`; Fedora: `dnf install bubblewrap`), "
    "or pass allow_unisolated=True / set RFT_KIT_ALLOW_UNISOLATED=1 to run model code with rlimits and a uid drop only"
)

# The server needs exactly these to create job directories and become the job uid; everything else is dropped
# (no CAP_SYS_ADMIN: it cannot mount, unshare or escape its namespaces).
_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/nsswitch.conf")
TMPFS_BYTES = 512 << 20


@dataclass
class IsolationReport:
    """What isolation is in use and why.

    Attributes:
        level: ``"bwrap"`` or ``"none"``.
        reason: one sentence: why this level (what was found or missing).
        bwrap: path of the bwrap binary, or ``None``.
        bwrap_version: its ``--version`` output.
        probe_error: why the bwrap probe failed, when it did.
        namespaces: namespaces each server gets (net, pid, ipc, uts, cgroup, mount).
        seccomp_available: whether the optional ``pyseccomp`` filter can be loaded.
        root: whether we run as root (needed for the per-job uid drop).
        binds: host paths visible (read-only) inside the sandbox.
    """

    level: str
    reason: str
    bwrap: str | None = None
    bwrap_version: str | None = None
    probe_error: str | None = None
    namespaces: list[str] = field(default_factory=list)
    seccomp_available: bool = False
    root: bool = False
    binds: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def package_dir() -> Path:
    """The directory of the ``rft_kit`` package (bound read-only into the sandbox)."""
    return Path(__file__).resolve().parent.parent


def _read_only_paths(python: str) -> list[str]:
    """Host paths Python and rft_kit need, deduplicated and without ones under ``/usr`` (bound whole)."""
    candidates = [sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix, str(package_dir())]
    candidates.append(str(Path(os.path.realpath(python)).parent.parent))
    candidates.append(str(Path(python).absolute().parent.parent))
    paths: list[str] = []
    for raw in candidates:
        for path in {os.path.abspath(raw), os.path.realpath(raw)}:
            if not os.path.isdir(path) or path == "/" or path.startswith("/usr/") or path == "/usr":
                continue
            paths.append(path)
    paths = sorted(set(paths), key=len)
    kept: list[str] = []
    for path in paths:
        if not any(path == k or path.startswith(k + "/") for k in kept):
            kept.append(path)
    return kept


def bwrap_command(
    bwrap: str, python: str, extra_binds: Sequence[str] = (), as_pid_1: bool = False
) -> tuple[list[str], list[str]]:
    """The bwrap argv prefix for one server (or, ``as_pid_1``, a candidate pool: the command itself becomes the pid
    namespace's init, with no bwrap reaper in between), and the host paths it binds."""
    argv = [
        bwrap,
        *(["--as-pid-1"] if as_pid_1 else []),
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--hostname",
        "sandbox",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    for name in _ETC_FILES:
        if os.path.exists(name):
            argv += ["--ro-bind", name, name]
    # The private /tmp comes before the binds: a checkout or virtualenv that lives under the host's /tmp (CI clones
    # do) must be bound on top of it, not hidden by it.
    argv += ["--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
    binds = _read_only_paths(python) + [os.path.abspath(p) for p in extra_binds]
    made: set[str] = {"/", "/usr", "/etc", "/tmp"}
    for path in binds:
        # bwrap creates missing parents with mode 0700, which the job uid cannot traverse; make them 0755 first
        parents = list(Path(path).parents)[::-1][1:]
        for parent in map(str, parents):
            if parent not in made:
                argv += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        argv += ["--ro-bind", path, path]
    argv += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        # this IPC namespace's message queues, visible so that they can be sealed and emptied (rft_kit.sandbox.ipc)
        "--mqueue",
        "/dev/mqueue",
        # a private empty /dev/shm: the default one would be shared between jobs of the same server
        "--perms",
        "0755",
        "--tmpfs",
        "/dev/shm",
        "--chdir",
        "/tmp",
        "--cap-drop",
        "ALL",
    ]
    if os.getuid() == 0:
        for cap in _CAPS:
            argv += ["--cap-add", cap]
    return argv, binds


_BOOT = (
    "import sys, types\n"
    "pkg = types.ModuleType('rft_kit')\n"
    "pkg.__path__ = [sys.argv[1]]\n"
    # a stub parent package: the server must not import rft_kit/__init__ (jsonschema, config, ...); fork cost grows
    # with the server's memory, so it stays small
    "sys.modules['rft_kit'] = pkg\n"
    # and rft_kit.sandbox too: its __init__ imports the client side (subprocess, threading), whose at-fork hooks and
    # pages every forked process would pay for
    "sub = types.ModuleType('rft_kit.sandbox')\n"
    "sub.__path__ = [sys.argv[1] + '/sandbox']\n"
    "sys.modules['rft_kit.sandbox'] = sub\n"
    # another interpreter of the same version (e.g. the distro's PGO build) also sees our site-packages
    "import site\n"
    "for d in sys.argv[4:]: site.addsitedir(d)\n"
    "import importlib\n"
    "importlib.import_module('rft_kit.sandbox.' + sys.argv[2]).main(sys.argv[3])\n"
)
_ENTRY_POINTS = ("forkserver", "zygote")

_BOOT_NO_SITE = _BOOT.replace(
    "import site\nfor d in sys.argv[4:]: site.addsitedir(d)\n",
    # Started with -S: no .pth file runs (the editable-install finders and setuptools' hook import pathlib, urllib,
    # ipaddress, ... and every candidate forked from this process would carry them), so the site-packages directories
    # are added as they are, and the builtins site would add that programs use (exit, quit, help) are put back.
    "sys.path.extend(sys.argv[4:])\n"
    "import builtins, _sitebuiltins\n"
    "builtins.exit = _sitebuiltins.Quitter('exit', 'Ctrl-D (i.e. EOF)')\n"
    "builtins.quit = _sitebuiltins.Quitter('quit', 'Ctrl-D (i.e. EOF)')\n"
    "builtins.help = _sitebuiltins._Helper()\n",
)


def server_argv(python: str, config_json: str, entry: str = "forkserver") -> list[str]:
    """The interpreter command that runs :func:`rft_kit.sandbox.forkserver.main` (or ``zygote.main``), without
    ``site`` (see ``_BOOT_NO_SITE``)."""
    if entry not in _ENTRY_POINTS:
        raise ValueError(f"unknown sandbox entry point {entry!r}")
    # Both start without ``site`` (see _BOOT_NO_SITE): the server needs nothing from site-packages any more (python
    # graders run in the candidate pool, which imports their preloads), and skipping the .pth files saves each
    # start-up their imports (pathlib, re, ...: tens of ms of the fixed cost of every `rft grade`)
    return [python, "-I", "-S", "-c", _BOOT_NO_SITE, str(package_dir()), entry, config_json, *_site_packages()]


def _site_packages() -> list[str]:
    """This interpreter's site-packages directories (plus the user's, if site enabled them)."""
    import site

    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and site.USER_SITE:
        dirs.append(site.USER_SITE)
    return [d for d in dirs if os.path.isdir(d)]


def interpreter_version(python: str) -> str | None:
    """``major.minor`` of another interpreter, or ``None`` if it does not run."""
    try:
        proc = subprocess.run(
            [python, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None


def clean_env() -> dict[str, str]:
    """The whole environment a server gets: no API keys, no host variables."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        # BLAS thread pools reserve address space per thread and would trip RLIMIT_AS
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


@functools.cache
def _probe_bwrap(bwrap: str, python: str) -> str | None:
    """Run a trivial program through the exact bwrap command; ``None`` if it works, else why not."""
    argv, _ = bwrap_command(bwrap, python)
    for key, value in clean_env().items():
        argv += ["--setenv", key, value]
    argv += [python, "-I", "-S", "-c", "import socket, os; os.listdir('/tmp'); print('ok')"]  # as the servers start
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if proc.returncode != 0 or proc.stdout.strip() != "ok":
        return (proc.stderr.strip() or f"exit code {proc.returncode}")[-500:]
    return None


def detect(isolation: str = "auto", python: str | None = None) -> IsolationReport:
    """Decide the isolation level.

    Args:
        isolation: ``"auto"`` (bwrap if it works, else none), ``"bwrap"`` (bwrap or a report saying why not) or
            ``"none"``.
        python: the interpreter servers will run (default ``sys.executable``).
    """
    python = python or sys.executable
    root = os.getuid() == 0
    seccomp = seccomp_available()
    if isolation not in ("auto", "bwrap", "none"):
        raise ValueError(f"isolation must be auto, bwrap or none, got {isolation!r}")
    if isolation == "none":
        return IsolationReport("none", "isolation='none' was requested", seccomp_available=seccomp, root=root)
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return IsolationReport(
            "none", "bubblewrap (bwrap) is not installed", seccomp_available=seccomp, root=root, probe_error=None
        )
    try:
        version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = None
    error = _probe_bwrap(bwrap, python)
    if error is not None:
        return IsolationReport(
            "none",
            "bwrap is installed but cannot create namespaces here (see probe_error)",
            bwrap=bwrap,
            bwrap_version=version,
            probe_error=error,
            seccomp_available=seccomp,
            root=root,
        )
    _, binds = bwrap_command(bwrap, python)
    return IsolationReport(
        "bwrap",
        "bubblewrap works: one set of namespaces per worker, created once",
        bwrap=bwrap,
        bwrap_version=version,
        namespaces=["net", "pid", "ipc", "uts", "cgroup", "mount"],
        seccomp_available=seccomp,
        root=root,
        binds=["/usr", *(b for b in binds)],
    )
