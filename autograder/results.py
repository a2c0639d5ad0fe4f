"""The result model: one shape for every path (notebook check, CLI check, grader).

Writers (CSV, JSON, Markdown feedback, the terminal table) read these dataclasses
and nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["QuestionResult", "SubmissionResult", "STATUS_TEXT"]

STATUS_TEXT = {
    "passed": "passed",
    "failed": "wrong answer",
    "not_implemented": "not implemented yet",
    "missing": "function missing",
    "error": "raised an error",
    "timeout": "too slow / infinite loop",
    "manual": "awaiting hand grading",
    "not_run": "not run",
}


@dataclass
class QuestionResult:
    """The outcome of one question for one submission."""

    question: str
    """The question's name, as in ``check(name)``."""
    title: str
    """One line describing the question."""
    points: float
    """Points earned: all or nothing, or in proportion to the cases passed for a question declared
    ``partial`` (rounded to 0.01), plus ``excused``."""
    max_points: float
    """Points the question is worth."""
    status: str
    """One of the keys of ``STATUS_TEXT``."""
    reason: str = ""
    """What the student should read: which case, what was expected, what went wrong."""
    case: str | None = None
    """The label of the first failing case, if any."""
    traceback: str | None = None
    """The student's own traceback when their code raised."""
    misconception: str | None = None
    """The name of a recognised mistake, when one was recognised (from the assignment's catalogue)."""
    hint: str | None = None
    """The catalogue's one-sentence hint for that mistake (what to reconsider, never the answer)."""
    cases_passed: int = 0
    """How many cases passed."""
    cases_total: int = 0
    """How many cases were run."""
    caused_by: str | None = None
    """The question whose failure explains this one's (the first failed dependency's root cause,
    from the declarations); its reason comes first in ``reason``."""
    excused: float = 0.0
    """Points given back because the failure is charged to ``caused_by`` already (included in ``points``)."""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _repr_markdown_(self) -> str:
        mark = "✔" if self.passed else ("✍" if self.status == "manual" else "✘")  # no emoji font needed
        text = f"{mark} **{self.question}** ({self.points:g}/{self.max_points:g}, {STATUS_TEXT[self.status]}) — {self.title}"
        if self.reason and not self.passed:
            text += "\n\n```\n" + self.reason + ("\n\n" + self.traceback if self.traceback else "") + "\n```"
        return text


@dataclass
class SubmissionResult:
    """The outcome of one notebook: one student, one assignment."""

    student: str
    """The student's identifier (their folder name in ``submitted/``)."""
    assignment: str
    """The assignment's name, e.g. ``01_gates``."""
    questions: list[QuestionResult] = field(default_factory=list)
    """One result per declared question, in notebook order."""
    notebook: str | None = None
    """The path of the graded notebook, relative to the submissions folder."""
    notes: list[str] = field(default_factory=list)
    """Things the student and instructor should know that are not one question's fault."""
    seed: int | None = None
    """The grading-time seed the hidden cases were drawn from."""
    seconds: float = 0.0
    """Wall-clock time spent grading, measured by the grader."""
    sandbox: str = ""
    """The protections the student's code ran under (see :mod:`autograder.sandbox.isolation`)."""
    figures: list[dict[str, str]] = field(default_factory=list)
    """Figures drawn by the notebook's plot cells (``grade --figures``): ``{"cell", "file"}``,
    ``file`` relative to the student's feedback folder."""

    @property
    def score(self) -> float:
        """The points earned, to 0.01 like each question's (a sum of floats would show 0.6600000000000001)."""
        return round(sum(q.points for q in self.questions), 2)

    @property
    def max_score(self) -> float:
        """Points available automatically (manual questions excluded)."""
        return sum(q.max_points for q in self.questions if q.status != "manual")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"], data["max_score"] = self.score, self.max_score
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SubmissionResult":
        names = {f.name for f in fields(cls)}
        result = cls(**{k: v for k, v in data.items() if k in names and k != "questions"})
        result.questions = [QuestionResult(**q) for q in data.get("questions", [])]
        return result
