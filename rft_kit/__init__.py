"""rft-kit: task generation, trustworthy graders and fine-tuning job packaging for reinforcement fine-tuning.

The grader format is OpenAI's (``string_check``, ``text_similarity``, ``score_model``, ``label_model``, ``python``,
``multi``) with the hosted semantics, run locally::

    import rft_kit
    grader = rft_kit.load_grader("rft:exact_answer")  # a library grader; or a file path, or a config dict
    result = grader.run("42", {"answer": "42"})
    result.reward, result.envelope()
"""

from typing import TYPE_CHECKING

from ._version import __version__
from .errors import ConfigError, DependencyError, GradeFailure, InputError, RftKitError
from .graders import Grader
from .graders.loading import load_grader
from .grading import GradeSummary, grade
from .records import GradeError, GradeResult, Item, Sample

if TYPE_CHECKING:  # the real types of the lazily loaded names, for type checkers (nothing is imported at run time)
    from .report import make_report, write_report
    from .runs import load_pipeline, run_pipeline
    from .sampling import SamplingParams, sample

# Sampling, reports and pipelines pull in openai and numpy; they load on first use so `import rft_kit` stays cheap.
_LAZY = {
    "SamplingParams": "rft_kit.sampling",
    "sample": "rft_kit.sampling",
    "make_report": "rft_kit.report",
    "write_report": "rft_kit.report",
    "load_pipeline": "rft_kit.runs",
    "run_pipeline": "rft_kit.runs",
}

__all__ = [
    "ConfigError",
    "DependencyError",
    "GradeError",
    "GradeFailure",
    "GradeResult",
    "GradeSummary",
    "Grader",
    "InputError",
    "Item",
    "RftKitError",
    "Sample",
    "SamplingParams",
    "__version__",
    "grade",
    "load_grader",
    "load_pipeline",
    "make_report",
    "run_pipeline",
    "sample",
    "write_report",
]


def __getattr__(name: str) -> object:  # only reached for the lazy names (type checkers see the imports above)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rft_kit' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
