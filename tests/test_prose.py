"""Do the numbers the notebooks' prose quotes agree with what their cells compute?

A markdown cell that quotes a computed number lists it in its metadata, ``"quotes": [[text,
expression], ...]``: ``text`` is a piece of the cell's source, and ``expression`` is Python,
evaluated in the notebook's namespace after every cell has run, that must produce exactly
that text (``f"{race['Adam'][1]}"``, ``f"{moments_of['sigmoid'][0]:.2f}"``). So a number that
drifts when a cell, a data set or a library changes fails here instead of misleading a student.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

from autograder import course

QUOTES = "quotes"
ASSIGNMENTS = list(course.assignments().values())


def quotes(notebook) -> list[tuple[str, str, str]]:
    """(cell id, quoted text, expression) for every quote declared in a markdown cell."""
    return [(cell.get("id"), text, expression) for cell in notebook.cells if cell.cell_type == "markdown"
            for text, expression in cell.get("metadata", {}).get(QUOTES, [])]


def mismatches(path: Path) -> list[str]:
    """Run the notebook top to bottom, evaluate every quote's expression in its namespace,
    and describe each quote whose text is not in its cell or differs from what the cells computed."""
    notebook = nbformat.read(path, as_version=4)
    declared = quotes(notebook)
    source = {cell.get("id"): cell.source for cell in notebook.cells}
    problems = [f"{cell}: {text!r} is not in the cell's text" for cell, text, _ in declared if text not in source[cell]]
    expressions = [expression for _, _, expression in declared]
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\n"
        "_quoted = []\n"
        f"for _expression in {expressions!r}:\n"
        "    try:\n"
        "        _quoted.append(['value', str(eval(_expression))])\n"
        "    except Exception as _error:\n"
        "        _quoted.append(['error', f'{type(_error).__name__}: {_error}'])\n"
        "print(_json.dumps(_quoted))\n"))
    NotebookClient(notebook, timeout=600, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = "".join(out.get("text", "") for out in notebook.cells[-1].outputs if out.output_type == "stream")
    for (cell, text, expression), (kind, value) in zip(declared, json.loads(printed)):
        if kind == "error":
            problems.append(f"{cell}: {expression} raised {value}")
        elif value != text:
            problems.append(f"{cell}: the prose says {text!r}, the cells compute {value!r} ({expression})")
    return problems


def _with_quotes():
    return [a for a in ASSIGNMENTS if quotes(nbformat.read(course.solution_path(a, ROOT), as_version=4))]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", _with_quotes(), ids=lambda a: a.name)
def test_every_number_the_prose_quotes_is_the_one_the_cells_compute(assignment):
    assert mismatches(course.solution_path(assignment, ROOT)) == []


@pytest.mark.parametrize("assignment", _with_quotes(), ids=lambda a: a.name)
def test_the_released_notebook_quotes_the_same_numbers(assignment):
    """nbgrader keeps the cell metadata, so the released prose is held to the same numbers."""
    solution = quotes(nbformat.read(course.solution_path(assignment, ROOT), as_version=4))
    assert quotes(nbformat.read(course.release_path(assignment, ROOT), as_version=4)) == solution


def test_a_quoted_number_that_drifted_is_reported(tmp_path):
    """One true quote, one stale, one that names nothing, one not in the text: only the first passes."""
    cells = [nbformat.v4.new_code_cell("ratio = 2 / 3"),
             nbformat.v4.new_markdown_cell("The ratio is 0.67, not 0.66.",
                                           metadata={QUOTES: [["0.67", "f'{ratio:.2f}'"], ["0.66", "f'{ratio:.2f}'"],
                                                              ["not", "undefined_name"], ["0.5", "f'{ratio:.1f}'"]]})]
    path = tmp_path / "drift.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    problems = mismatches(path)
    assert len(problems) == 4, problems
    assert "'0.5' is not in the cell's text" in problems[0]
    assert "the prose says '0.66', the cells compute '0.67'" in problems[1]
    assert "NameError" in problems[2]
    assert "the prose says '0.5', the cells compute '0.7'" in problems[3]
