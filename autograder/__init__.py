"""Neural networks from first principles: a self-grading exercise kit.

Students call :func:`checker` in their notebooks; instructors use the
``autograder`` command (see :mod:`autograder.cli`). Questions are declared once,
in :mod:`autograder.questions`, with :class:`Assignment` and :class:`Case`.

The names below are imported when first used, so that the student's process started by the
grader (``python -m autograder.student.child``) loads only what it runs: the child, the
probes, the codec and the protocol.
"""

import importlib

__all__ = ["Assignment", "Case", "CheckFailed", "Mismatch", "Oracles", "QuestionResult", "SubmissionResult", "checker"]
__version__ = "0.1.0"

_HOMES = {"CheckFailed": ".student.check", "checker": ".student.check", "Mismatch": ".judge.compare",
          "Assignment": ".judge.question", "Case": ".judge.question", "Oracles": ".judge.question",
          "QuestionResult": ".results", "SubmissionResult": ".results"}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'autograder' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *__all__])
