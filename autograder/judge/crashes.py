"""Naming the mistake behind an exception: the kit-wide catalogue of crashes.

A call that raises has no value to compare, but its exception often says what went wrong as
precisely as a relation between values does: ``matmul: ... (size 5 is different from 4)`` is a
product whose inner sizes differ, ``index 24 is out of bounds for axis 0 with size 24`` an index
one past the end. Each rule below is one table entry: the exception's type, a pattern of its
message, optionally a condition on the pattern's fields, and the mistake it names, whose hint may
quote those fields. The first rule that matches names the mistake; an exception no rule knows
names nothing (its message and traceback are still shown).

The hint points at the student's own line, read from the traceback the child sent (the last
frame outside NumPy and the standard library). All of this is text about a call that has
already lost its points: nothing here can raise a grade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

__all__ = ["CRASHES", "Crash", "diagnose", "rule_for", "student_line"]


@dataclass(frozen=True)
class Crash:
    """One kind of exception and the mistake it names."""

    key: str
    """Unique among :data:`CRASHES`."""
    name: str
    """A few words the student reads after "Recognised mistake:"; may quote the pattern's fields."""
    hint: str
    """What to reconsider; ``str.format`` fields: the pattern's named groups and :attr:`derived`'s."""
    types: tuple[str, ...]
    """Names of the exception types it applies to."""
    pattern: str
    """A regular expression searched in the exception's message."""
    when: Callable[[Mapping[str, str]], bool] | None = None
    """A condition on the pattern's fields, for rules that share a pattern."""
    derived: Callable[[Mapping[str, str]], Mapping[str, str]] | None = None
    """Further fields computed from the pattern's (a word chosen by a type's name)."""

    def match(self, type_name: str, message: str) -> dict[str, str] | None:
        found = re.search(self.pattern, message) if type_name in self.types else None
        if found is None:
            return None
        fields = {k: v for k, v in found.groupdict().items() if v is not None}
        if self.when is not None and not self.when(fields):
            return None
        return {**fields, **(self.derived(fields) if self.derived else {})}


def _reversed_shapes(f: Mapping[str, str]) -> bool:
    a, b = (tuple(int(x) for x in f[k].replace(",", " ").split()) for k in ("a", "b"))
    return len(a) == 2 and a == b[::-1]


_WRONG_TYPE = {
    "str": "a name (an activation's name, a key) used where the number or array it stands for was meant",
    "tuple": "a pair such as (W, b) or a shape used as one array: unpack it, or index the entry you meant",
    "list": "Python lists do not compute elementwise: index the entry you meant, or make an array with np.asarray",
    "dict": "index the dict with the key of the entry you meant",
    "NoneType": "a function without a `return` statement returns None",
}

_SHAPES = r"\((?P<a>[\d, ]*)\) \((?P<b>[\d, ]*)\)"

CRASHES: tuple[Crash, ...] = (
    Crash("product_shapes", "the shapes of a matrix product do not fit",
          "in `A @ B` the columns of A must match the rows of B, and here A has {b} columns while B has {a} rows. "
          "Print both shapes on that line: an operand transposed (or not transposed), the operands in the wrong order, "
          "or a parameter of another layer gives this.",
          ("ValueError",), r"matmul: Input operand 1 has a mismatch in its core dimension 0.*\(size (?P<a>\d+) is different from (?P<b>\d+)\)"),
    Crash("product_of_number", "a matrix product with a number",
          "`@` needs arrays with at least one dimension, and one operand is a number: use `*` to scale by a number.",
          ("ValueError",), r"matmul: Input operand \d does not have enough dimensions"),
    Crash("transposed_operand", "a transposed operand in elementwise arithmetic",
          "shapes ({a}) and ({b}) are each other's transpose: one side needs `.T`, or has one `.T` too many.",
          ("ValueError",), r"operands could not be broadcast together with shapes " + _SHAPES, when=_reversed_shapes),
    Crash("elementwise_shapes", "arrays of different shapes combined elementwise",
          "shapes ({a}) and ({b}) cannot be combined by +, -, * or /: both sides need the same shape, or a 1 where they "
          "differ. Print the shapes on that line: a value of another layer, `*` where the matrix product `@` was meant, "
          "or a sum over the wrong axis gives this.",
          ("ValueError",), r"operands could not be broadcast together with shapes " + _SHAPES),
    Crash("empty_array", "indexing an empty array",
          "axis {axis} has size 0 here: a slice or a selection before that line took nothing. Check its bounds.",
          ("IndexError",), r"index (?P<i>-?\d+) is out of bounds for axis (?P<axis>\d+) with size (?P<n>\d+)", when=lambda f: f["n"] == "0"),
    Crash("index_past_end", "an index one past the end",
          "indices along axis {axis} run from 0 to {n} - 1, and {i} was used: an index or a loop bound shifted by one "
          "(i + 1, range(n + 1), <= for <).",
          ("IndexError",), r"index (?P<i>-?\d+) is out of bounds for axis (?P<axis>\d+) with size (?P<n>\d+)", when=lambda f: f["i"] == f["n"]),
    Crash("index_out_of_range", "an index outside the array",
          "axis {axis} has size {n} and index {i} was used: an index meant for another axis or another array, or a shift.",
          ("IndexError",), r"index (?P<i>-?\d+) is out of bounds for axis (?P<axis>\d+) with size (?P<n>\d+)"),
    Crash("sequence_past_end", "an index past the end of a {kind}",
          "the {kind} is shorter than the index used on it: a loop that runs one step too far, an index shifted by one "
          "(l + 1), or a {kind} built with too few entries.",
          ("IndexError",), r"(?P<kind>list|tuple) (?:assignment )?index out of range"),
    Crash("unpack_count", "unpacking into the wrong number of names",
          "the line unpacks {k} names from something with a different number of entries: does a function return what "
          "this line expects, and does the loop run over the sequence you meant (a list of pairs, or one pair)?",
          ("ValueError",), r"(?:too many|not enough) values to unpack \(expected (?P<k>\d+)"),
    Crash("returned_none", "a value that is None",
          "a value used as an array or a list is None: a function without a `return` statement returns None, and so "
          "do in-place methods such as list.append or ndarray.sort.",
          ("TypeError", "AttributeError"), r"'NoneType' object (?:is not|has no|cannot|does not)"),
    Crash("wrong_type_operand", "arithmetic on a {t}",
          "one operand is a {t}, not a number or an array: {why}.",
          ("TypeError",), r"(?:unsupported operand type\(s\) for \S+: '|can only concatenate )(?P<t>str|tuple|list|dict)\b",
          derived=lambda f: {"why": _WRONG_TYPE[f["t"]]}),
    Crash("index_type", "a list indexed with a {t}",
          "lists take integer indices, and a {t} was used: a dict's key on a list, or a float where `//` was meant.",
          ("TypeError",), r"list indices must be integers or slices, not (?P<t>\w+)"),
    Crash("indexing_a_number", "indexing a number",
          "a value indexed (or assigned into) as if it were an array is a {t}: a sum or a mean that already removed "
          "the axis, or one entry where the whole array was meant.",
          ("TypeError", "IndexError"), r"'(?P<t>int|float|numpy\.float64|numpy\.int64)' object (?:is not subscriptable|does not support item assignment)|invalid index to scalar variable",
          derived=lambda f: {"t": f.get("t") or "number"}),
    Crash("missing_axis", "an axis the array does not have",
          "the array has {d} dimension(s), so axis={a} does not exist: is it one row, or a result that already lost "
          "an axis (a sum without keepdims)?",
          ("AxisError", "IndexError"), r"axis (?P<a>-?\d+) is out of bounds for array of dimension (?P<d>\d+)"),
    Crash("ragged_array", "an array built from pieces of different shapes",
          "NumPy was given a list of arrays of unequal shapes to make one array from: give each piece the same shape, "
          "or keep them in a list.",
          ("ValueError",), r"setting an array element with a sequence"),
    Crash("joined_shapes", "arrays of different sizes joined",
          "np.concatenate, np.stack and np.hstack need the same size along every other axis: compare the shapes of "
          "the pieces on that line.",
          ("ValueError",), r"all the input array dimensions except for the concatenation axis must match|all input arrays must have the same shape"),
    Crash("index_arrays", "index arrays of different lengths",
          "arrays used together as indices must have the same length: one of them selects another set of rows.",
          ("IndexError",), r"shape mismatch: indexing arrays could not be broadcast together"),
    Crash("array_as_condition", "an array used as a condition",
          "`if`, `and`, `or` and `not` need one True or False: use np.any, np.all, or np.where for a choice per entry.",
          ("ValueError",), r"The truth value of an array with more than one element is ambiguous"),
    Crash("zero_step", "a range with a step of 0",
          "the third argument of range() is its step, and it is 0 here: a step computed from a value that is 0.",
          ("ValueError",), r"range\(\) arg 3 must not be zero"),
    Crash("division_by_zero", "a division by zero",
          "a divisor is 0: a count (of rows, of steps, of a batch) that is 0 here, or a term missing from a denominator.",
          ("ZeroDivisionError",), r""),
    Crash("missing_attribute", "an attribute a {cls} does not have",
          "`{attr}` is not an attribute of a {cls}: a misspelt name, or state never set in __init__.",
          ("AttributeError",), r"'(?P<cls>[\w.]+)' object has no attribute '(?P<attr>\w+)'",
          derived=lambda f: {"cls": f["cls"].rsplit(".", 1)[-1]}),
)
"""The rules, tried in order (a specific condition before the general rule of the same pattern)."""

_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<fn>\S+)\n(?:    (?P<source>.*)\n)?', re.MULTILINE)
_LIBRARY = re.compile(r"site-packages|dist-packages|/lib/python\d")


def student_line(traceback: str | None) -> str | None:
    """Where in the student's code the exception was raised, as "line N of `fn`: `source`", from the
    traceback text (the last frame outside installed libraries), or None."""
    frames = [f for f in _FRAME.finditer(traceback or "") if not _LIBRARY.search(f["file"])]
    if not frames:
        return None
    frame = frames[-1]
    # a comprehension or a lambda is its own frame: name the function around it instead
    named = next((f["fn"] for f in reversed(frames) if f["file"] == frame["file"] and not f["fn"].startswith("<")), frame["fn"])
    source = (frame["source"] or "").strip()
    where = f"line {frame['line']} of `{named}`"
    return f"{where}: `{source[:120]}`" if source else where


def rule_for(error: Mapping[str, str]) -> tuple[Crash, dict[str, str]] | None:
    """The first rule of :data:`CRASHES` that the plain error (``type``, ``message``, as
    :func:`autograder.student.probes.run_call` reports it) matches, with its fields, else None."""
    type_name, message = str(error.get("type", "")), str(error.get("message", ""))
    return next(((crash, fields) for crash in CRASHES if (fields := crash.match(type_name, message)) is not None), None)


def diagnose(error: Mapping[str, str]) -> tuple[str, str] | None:
    """``(name, hint)`` of the mistake the plain error names (see :func:`rule_for`), else None; the
    hint ends with the student's line when the error's ``traceback`` shows it."""
    found = rule_for(error)
    if found is None:
        return None
    crash, fields = found
    line = student_line(error.get("traceback"))
    return crash.name.format(**fields), crash.hint.format(**fields) + (f" It was raised at {line}." if line else "")
