"""Neural networks from first principles: a self-grading exercise kit.

Students call :func:`checker` in their notebooks; instructors use the
``autograder`` command (see :mod:`autograder.cli`). Questions are declared once,
in :mod:`autograder.questions`, with :class:`Assignment` and :class:`Case`.
"""

from .check import CheckFailed, checker
from .compare import Mismatch
from .question import Assignment, Case, Oracles
from .results import QuestionResult, SubmissionResult

__all__ = ["Assignment", "Case", "CheckFailed", "Mismatch", "Oracles", "QuestionResult", "SubmissionResult", "checker"]
__version__ = "0.1.0"
