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


class GradeFailure(Exception):
    """One sample could not be graded; the grader records it as an error with reward 0.

    Attributes:
        kind: coarse category used in reports (see ``rft_kit.records.ERROR_KINDS``).
        flag: the hosted ``metadata.errors`` flag it maps to (``invalid_variable_error``, ...).
        message: what went wrong, for a human.
    """

    def __init__(self, kind: str, flag: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.flag = flag
        self.message = message
