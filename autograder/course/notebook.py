"""Reading notebooks: which cells are answers, which are provided, and the reference.

Cells are recognised by nbgrader's metadata (``cell.metadata.nbgrader``):
``solution`` marks an answer cell, ``grade`` without ``solution`` a test cell,
``locked`` a provided read-only cell. Provided cells that later code depends on
(imports, data) carry the tag ``setup``. When an editor has stripped the metadata
from a submission, a cell whose text is identical to a provided cell of the released
notebook is still recognised as that provided cell.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BadNotebook", "CodeCell", "read", "checked_question", "setup_cells", "answer_cells", "solution_cells", "figure_cells", "cell_report", "load_reference", "defined_names"]

_MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


class BadNotebook(ValueError):
    """A notebook that cannot be read or graded; the message is for the student."""


@dataclass(frozen=True)
class CodeCell:
    """A code cell to run.

    Attributes:
        label: the nbgrader ``grade_id`` or ``cell <n>``; shown in tracebacks.
        source: Python source with IPython magics (``%``, ``!`` lines) removed.
    """

    label: str
    source: str


def read(path: str | Path) -> Any:
    """Read a notebook (an ``nbformat.NotebookNode``), or raise :class:`BadNotebook` saying what is wrong."""
    # imported here: student processes import this module. jsonschema's optional IRI format
    # checker (rfc3987_syntax) compiles some forty grammars on import, over a second, for a
    # format the notebook schema never uses: it is left out unless something imported it already.
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)
    import nbformat

    path = Path(path)
    try:
        notebook = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise BadNotebook(f"{path.name} does not exist") from None
    except Exception as exc:  # nbformat raises several unrelated types for broken JSON
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadNotebook(f"{path.name} is not a readable notebook ({first_line[:200]}); was it saved by Jupyter?") from None
    if not isinstance(notebook.get("cells"), list):
        raise BadNotebook(f"{path.name} has no cells")
    for index, cell in enumerate(notebook.cells):
        problem = _malformed(cell)
        if problem:
            raise BadNotebook(f"{path.name} breaks the notebook format: cell {index + 1} {problem}. Open it in Jupyter, fix that cell and save it again.")
    return notebook


# The fields the grader reads from a cell, and the type each must have when present.
_CELL_FIELDS = {"cell_type": str, "source": str, "metadata": dict}
_METADATA_FIELDS = {"nbgrader": dict, "tags": list}
_NBGRADER_FIELDS = {"grade_id": str, "solution": bool, "grade": bool, "locked": bool}


def _malformed(cell: Any) -> str | None:
    """What is wrong with the fields of ``cell`` the grader reads, or None."""
    if not isinstance(cell, dict):
        return "is not an object"
    for fields, where, name in ((_CELL_FIELDS, cell, "its"), (_METADATA_FIELDS, cell.get("metadata") or {}, "its metadata's"),
                                (_NBGRADER_FIELDS, (cell.get("metadata") or {}).get("nbgrader") or {}, "its nbgrader metadata's")):
        if not isinstance(where, dict):
            return f"has {name} fields in a form that is not an object"
        for key, kind in fields.items():
            if key in where and not isinstance(where[key], kind):
                return f"has {name} `{key}` as {type(where[key]).__name__}, not {kind.__name__}"
    if not all(isinstance(tag, str) for tag in (cell.get("metadata") or {}).get("tags", [])):
        return "has tags that are not text"
    return None


def _meta(cell: Any) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _label(cell: Any, index: int) -> str:
    return _meta(cell).get("grade_id") or f"cell {index + 1}"


def _source(cell: Any) -> str:
    return _MAGIC.sub("", cell.get("source", ""))


def _is_code(cell: Any) -> bool:
    return cell.get("cell_type") == "code"


def setup_cells(notebook: Any) -> list[CodeCell]:
    """Provided code cells tagged ``setup`` (imports, data) that answers may rely on."""
    return [
        CodeCell(_label(c, i), _source(c))
        for i, c in enumerate(notebook.cells)
        if _is_code(c) and "setup" in c.get("metadata", {}).get("tags", [])
    ]


def _check_calls(source: str) -> list[ast.Call]:
    """The ``check(...)`` and ``check.all(...)`` calls in ``source``, in reading order (none on a syntax error)."""
    try:
        tree = ast.parse(_MAGIC.sub("", source))
    except SyntaxError:
        return []
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "check")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "all" and isinstance(node.func.value, ast.Name) and node.func.value.id == "check"))]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def checked_question(source: str) -> str | None:
    """The question a test cell grades: the name in its first ``check("<question>")`` call, or None.

    The one reader of ``check(...)`` calls in cells (the build, the points, the gradebook and
    :func:`figure_cells` all ask here)."""
    for call in _check_calls(source):
        if isinstance(call.func, ast.Name) and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
            return call.args[0].value
    return None



def figure_cells(notebook: Any) -> list[CodeCell]:
    """The provided code cells that are not setup or tests, in order: the ones that try the
    student's functions and draw what they computed (test cells and ``check`` calls excluded)."""
    return [
        CodeCell(_label(c, i), _source(c))
        for i, c in enumerate(notebook.cells)
        if _is_code(c) and not _meta(c).get("solution") and not _meta(c).get("grade")
        and "setup" not in c.get("metadata", {}).get("tags", []) and not _check_calls(c.get("source", ""))
    ]


def solution_cells(notebook: Any) -> list[CodeCell]:
    """Code cells marked as nbgrader answers (``solution: true``)."""
    return [CodeCell(_label(c, i), _source(c)) for i, c in enumerate(notebook.cells) if _is_code(c) and _meta(c).get("solution")]


def answer_cells(submission: Any, release: Any) -> list[CodeCell]:
    """The student's code to run: every code cell except those the release provides.

    Answer cells and cells the student added are kept (a helper defined in a new cell
    counts). Provided, setup and test cells are dropped, recognised by ``grade_id`` or,
    when metadata was stripped, by identical text; setup cells are taken from the
    release instead (see :func:`setup_cells`), and test cells are never trusted.
    """
    provided_ids, provided_text = set(), set()
    for cell in release.cells:
        meta = _meta(cell)
        if _is_code(cell) and not meta.get("solution") and (meta.get("locked") or meta.get("grade") or "setup" in cell.get("metadata", {}).get("tags", [])):
            provided_ids.add(meta.get("grade_id"))
            provided_text.add(cell.get("source", "").strip())
    provided_ids.discard(None)
    kept = []
    for index, cell in enumerate(submission.cells):
        if not _is_code(cell) or _meta(cell).get("grade_id") in provided_ids or cell.get("source", "").strip() in provided_text:
            continue
        kept.append(CodeCell(_label(cell, index), _source(cell)))
    return kept


def cell_report(submission: Any, release: Any) -> list[str]:
    """Notes on how a submission's cells differ from the release: deleted, duplicated or
    edited provided cells, duplicated answer cells, and a notebook of another assignment.

    None of these changes what is graded (test cells are never run, provided cells come
    from the release); the notes tell the student and instructor what happened.
    """
    released = {}
    for cell in release.cells:
        meta = _meta(cell)
        if meta.get("grade_id"):
            released[meta["grade_id"]] = cell
    seen: dict[str, list[Any]] = {}
    for cell in submission.cells:
        grade_id = _meta(cell).get("grade_id")
        if grade_id:
            seen.setdefault(grade_id, []).append(cell)
    answers = {g for g, c in released.items() if _meta(c).get("solution")}
    submitted_answers = {g for g, cells in seen.items() if _meta(cells[0]).get("solution")}
    if answers and submitted_answers and not answers & submitted_answers:
        return ["This notebook's answer cells do not match this assignment at all: was the notebook of another assignment submitted?"]
    notes = []
    for grade_id, cell in released.items():
        meta, copies = _meta(cell), seen.get(grade_id, [])
        provided = not meta.get("solution") and (meta.get("locked") or meta.get("grade"))
        if not copies and provided and cell.get("cell_type") == "code":
            notes.append(f"The provided cell '{grade_id}' was deleted. Grading does not depend on it, but restore it to check your work.")
        elif len(copies) > 1:
            kind = "answer cell" if meta.get("solution") else "provided cell"
            notes.append(f"The {kind} '{grade_id}' appears {len(copies)} times; every copy ran in order, so the last definition counts.")
        elif provided and copies and copies[0].get("source", "").strip() != cell.get("source", "").strip():
            notes.append(f"The provided cell '{grade_id}' was edited; the grader ignores edits to provided and test cells.")
    return notes


_DEF_LINE = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)


def intended_names(source: str) -> set[str]:
    """The functions and classes a cell that does not parse meant to define: the names of its
    unindented ``def`` and ``class`` lines (so a syntax error can be reported against them)."""
    return set(_DEF_LINE.findall(source))


def defined_names(source: str) -> set[str] | None:
    """Top-level function, class and variable names a cell defines; None on a syntax error."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def load_reference(solution_notebook: str | Path) -> dict[str, Any]:
    """Execute the solution notebook's setup and answer cells; return their namespace.

    This is the only source of the reference implementation: it is read from the
    solution notebook, never written again in a module.
    """
    notebook = read(solution_notebook)
    namespace: dict[str, Any] = {"__name__": "reference"}
    with contextlib.redirect_stdout(io.StringIO()):  # setup cells may print for the student
        for cell in setup_cells(notebook) + solution_cells(notebook):
            exec(compile(cell.source, f"<solution {cell.label}>", "exec"), namespace)
    return namespace
