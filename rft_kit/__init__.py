"""rft-kit: task generation, trustworthy graders and fine-tuning job packaging for reinforcement fine-tuning.

The grader format is OpenAI's (``string_check``, ``text_similarity``, ``score_model``, ``label_model``, ``python``,
``multi``) with the hosted semantics, run locally::

    import rft_kit
    grader = rft_kit.load_grader("graders/exact_answer.yaml")
    result = grader.run("42", {"answer": "42"})
    result.reward, result.envelope()
"""

from ._version import __version__
from .config import load_grader
from .errors import ConfigError, DependencyError, GradeFailure, InputError, RftKitError
from .graders import Grader
from .grading import GradeSummary, grade
from .model import GradeError, GradeResult, Item, Sample

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
    "__version__",
    "grade",
    "load_grader",
]
