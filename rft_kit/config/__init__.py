"""Reading config files (JSON or YAML) with source locations, so errors can name the file, line and JSON path.

Grader configs are validated and built in :mod:`rft_kit.graders` (``validate``, ``loading``); pipeline files in
:mod:`rft_kit.runs.config`; task templates in :mod:`rft_kit.tasks`. This package only reads documents.
"""

from __future__ import annotations

from .files import Locator, format_path, read_document

__all__ = ["Locator", "format_path", "read_document"]
