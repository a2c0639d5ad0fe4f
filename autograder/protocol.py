"""What crosses the process boundary between the grader and the student's process, written once.

The grader (:mod:`autograder.sandbox`) and the student's process (:mod:`autograder.student.child`,
:mod:`autograder.student.probes`) exchange one JSON line at a time. Every field is plain data, and
nothing the student's process sends is believed without the grader's checks
(``docs/threat-model.md`` lists each field the grader reads). This module holds only the
shapes and the limits both sides agree on; it imports nothing of the kit, so either side may
import it.

The grader sends *messages* (:class:`StartMessage`, :class:`CellMessage`, :class:`CallMessage`,
:class:`ExitMessage`), one at a time; the child answers each with *events* (:class:`ReadyEvent`,
:class:`FigureEvent`, :class:`CellEvent`, :class:`CallEvent`). A *call request*
(:class:`CallRequest`, made by :meth:`autograder.judge.question.Case.call`) asks for one student
function to be called; its outcome is an :class:`Observation`. In a notebook, ``check(...)``
performs the same requests in the student's own kernel (:func:`autograder.student.probes.run_call`).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict, Union

__all__ = ["CALL_SECONDS", "CELL_SECONDS", "FIGURE_SECONDS", "MAX_FIGURES", "MAX_FIGURE_BYTES", "OBSERVED", "CallRequest", "StudentError",
           "Observation", "StartMessage", "CellMessage", "CallMessage", "ExitMessage", "Message",
           "ReadyEvent", "FigureEvent", "CellEvent", "CallEvent", "Event"]

CALL_SECONDS = 10.0
"""CPU seconds one call may take unless its case says otherwise (``Case.timeout``)."""
CELL_SECONDS = 20.0
"""CPU seconds one notebook cell may take (``Limits.cell_seconds``)."""
FIGURE_SECONDS = 5.0
"""CPU seconds the child may spend rendering the figures of one cell, besides the cell's own time."""
MAX_FIGURES = 16
"""Figures one submission may send for its feedback."""
MAX_FIGURE_BYTES = 2 * 2**20
"""The largest PNG accepted for one figure."""
OBSERVED = ("ok", "missing", "not_implemented", "timeout", "error")
"""Statuses a child may report in an :class:`Observation`; ``not_run`` is the grader's alone."""


class CallRequest(TypedDict, total=False):
    """One call of a student function; ``args`` and ``kwargs`` encoded by :mod:`autograder.student.plain`."""

    fn: str
    args: list
    kwargs: dict
    probe: str
    """The routine of :mod:`autograder.student.probes` that performs the call; ``"call"`` by default."""
    timeout: float
    """CPU seconds (default :data:`CALL_SECONDS`)."""
    wall_seconds: float


class StudentError(TypedDict, total=False):
    """An exception raised by student code, as text (each field truncated by the grader)."""

    type: str
    message: str
    traceback: str


class Observation(TypedDict, total=False):
    """The outcome of a :class:`CallRequest`: ``status`` in :data:`OBSERVED`; ``value``, ``mutated``
    (names of arguments the call changed) and ``seconds`` when ``ok``, else ``error``."""

    status: str
    value: Any
    mutated: list
    seconds: float
    error: StudentError


class StartMessage(TypedDict):
    """Set the child's resource limits (``autograder.sandbox.Limits`` as a dict); answered by :class:`ReadyEvent`."""

    op: Literal["start"]
    limits: dict


class CellMessage(TypedDict, total=False):
    """Run one notebook cell; answered by :class:`FigureEvent` s (when ``figures``), then :class:`CellEvent`."""

    op: Literal["cell"]
    index: int
    label: str
    source: str
    timeout: float
    """CPU seconds (default :data:`CELL_SECONDS`)."""
    wall_seconds: float
    figures: bool


class CallMessage(TypedDict):
    """Perform one :class:`CallRequest` (sent after every cell has run); answered by :class:`CallEvent`."""

    op: Literal["call"]
    index: int
    request: CallRequest


class ExitMessage(TypedDict):
    op: Literal["exit"]


Message = Union[StartMessage, CellMessage, CallMessage, ExitMessage]


class ReadyEvent(TypedDict):
    event: Literal["ready"]


class FigureEvent(TypedDict, total=False):
    """A figure a cell drew: base64 ``png``, or the ``error`` that kept it from being drawn."""

    event: Literal["figure"]
    cell: str
    png: str
    error: str


class CellEvent(TypedDict):
    """A cell ran; ``error`` is None or what it raised."""

    event: Literal["cell"]
    index: int
    error: StudentError | None


class CallEvent(TypedDict):
    event: Literal["call"]
    index: int
    observation: Observation


Event = Union[ReadyEvent, FigureEvent, CellEvent, CallEvent]
