"""Run untrusted Python per sample in warm, namespaced fork-servers (docs/sandbox.md).

>>> from rft_kit.sandbox import Limits, Sandbox
>>> with Sandbox(workers=2) as sb:
...     sb.run("exec", {"code": "print(1 + 1)"}, Limits(wall_s=5)).stdout
'2\\n'

Graders use the shared per-process :func:`get_sandbox`; it is created lazily and never pickled.
"""

from __future__ import annotations

from .isolation import IsolationReport, detect
from .limits import Limits
from .pool import ExecResult, ExecStatus, Sandbox, get_sandbox, reset_default_sandbox, warm_up_in_background

__all__ = [
    "ExecResult",
    "ExecStatus",
    "IsolationReport",
    "Limits",
    "Sandbox",
    "detect",
    "get_sandbox",
    "reset_default_sandbox",
    "warm_up_in_background",
]
