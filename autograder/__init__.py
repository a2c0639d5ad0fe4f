"""Neural networks from first principles: a self-grading exercise kit.

Students call :func:`checker` in their notebooks; instructors use the
``autograder`` command (see :mod:`autograder.cli`). Questions are declared once,
in :mod:`autograder.questions`, with :class:`Assignment` and :class:`Case`.
"""

from importlib import import_module

__all__ = ["Assignment", "Case", "CheckFailed", "Mismatch", "Oracles", "QuestionResult", "SubmissionResult", "checker"]
__version__ = "0.1.0"

# Each public name is imported from its module on first use, so that the student's process
# (``python -m autograder.child``) imports only what it runs, not the grader.
_HOME = {"CheckFailed": "check", "checker": "check", "Mismatch": "compare", "Assignment": "question", "Case": "question",
         "Oracles": "question", "QuestionResult": "results", "SubmissionResult": "results"}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'autograder' has no attribute {name!r}")
    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_HOME))
