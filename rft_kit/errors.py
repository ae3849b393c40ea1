"""Exceptions raised by rft-kit.

Two families, and the difference matters:

* ``RftKitError`` and its subclasses are raised for problems the *user* must fix before anything can run: a malformed
  grader config, an unknown grader type, a missing optional dependency, an unreadable file. They carry a message that
  names the place (file, line, JSON path) and the fix.
* ``GradeFailure`` is raised *inside* a grader while grading one sample (a missing template variable, an unparsable
  sample, a math error in a formula). The grader catches it and turns it into a recorded error with reward 0; it never
  escapes ``Grader.grade``.

::

    RftKitError
    ├── ConfigError            (a grader/template config is invalid; has .path and .source)
    ├── DependencyError        (an optional dependency or data file is missing; says what to install)
    └── InputError             (a data file is unreadable or a record is malformed; has .source and .line)
    GradeFailure               (one sample could not be graded; becomes GradeResult.error)
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ConfigError", "DependencyError", "GradeFailure", "InputError", "RftKitError"]


class RftKitError(Exception):
    """Base class of every error rft-kit raises for the user to fix."""


class ConfigError(RftKitError):
    """A grader or template config is invalid.

    Attributes:
        path: JSON path of the offending field (``graders.email.operation``), empty for the whole document.
        source: where the config came from (a file name, possibly with ``:line``), or ``None``.
    """

    def __init__(self, message: str, *, path: str = "", source: str | None = None) -> None:
        self.path = path
        self.source = source
        self.detail = message
        where = source or ""
        if path:
            where = f"{where}: {path}" if where else path
        super().__init__(f"{where}: {message}" if where else message)


class DependencyError(RftKitError):
    """An optional dependency or data file that a feature needs is not available."""


class InputError(RftKitError):
    """A data file cannot be read, or one of its records is malformed.

    Attributes:
        source: the file name.
        line: 1-based line number, when the problem is one line.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.detail = message
        where = source or ""
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


ErrorKind = Literal[
    "template",  # a template variable is missing (hosted: invalid_variable_error)
    "parse",  # the sample is not in the expected format (hosted: sample_parse_error)
    "formula",  # a multi formula failed at run time: division by zero, log(0), ... (hosted: other_error)
    "runtime",  # user grader code raised or returned garbage (hosted: python_grader_runtime_error)
    "timeout",  # the grader did not finish in time
    "sandbox",  # the code sandbox itself failed (hosted: python_grader_server_error)
    "model_api",  # a model call failed, was refused or unparsable (hosted: model_grader_*_error)
    "sample",  # the sample carries an error from sampling (the model call failed); nothing to grade
    "config",  # the grader config cannot be applied to this item (e.g. an unusable reference)
    "internal",  # a bug in rft-kit; please report it
]
"""Coarse error categories used by reports. Every recorded grading error has one, plus the exact hosted flag."""

HostedFlag = Literal[
    "formula_parse_error",
    "sample_parse_error",
    "truncated_observation_error",
    "unresponsive_reward_error",
    "invalid_variable_error",
    "other_error",
    "python_grader_server_error",
    "python_grader_runtime_error",
    "model_grader_server_error",
    "model_grader_refusal_error",
    "model_grader_parse_error",
    "model_grader_exceeded_max_tokens_error",
]
"""The boolean flags of the hosted ``RunGraderResponse.metadata.errors`` (documented plus observed ones)."""

ERROR_KINDS: tuple[ErrorKind, ...] = get_args(ErrorKind)
HOSTED_ERROR_FLAGS: tuple[HostedFlag, ...] = get_args(HostedFlag)


def error_kind(value: object) -> ErrorKind:
    """``value`` as an :data:`ErrorKind` (a record written by a newer version may hold one we do not know)."""
    for kind in ERROR_KINDS:
        if value == kind:
            return kind
    return "internal"


def hosted_flag(value: object) -> HostedFlag:
    """``value`` as a :data:`HostedFlag` (``other_error`` for one we do not know)."""
    for flag in HOSTED_ERROR_FLAGS:
        if value == flag:
            return flag
    return "other_error"


class GradeFailure(Exception):
    """One sample could not be graded; the grader records it as an error with reward 0.

    Attributes:
        kind: coarse category used in reports (:data:`ErrorKind`).
        flag: the hosted ``metadata.errors`` flag it maps to (``invalid_variable_error``, ...).
        message: what went wrong, for a human.
    """

    def __init__(self, kind: ErrorKind, flag: HostedFlag, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.flag: HostedFlag = flag
        self.message = message
