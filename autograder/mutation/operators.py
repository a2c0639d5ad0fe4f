"""Wrong variants of the reference answers, made by operators on their syntax tree.

The operator set follows cosmic-ray's (binary, comparison and unary operator replacement,
number and boolean replacement, zero-iteration loops) with the mistakes typical of
array code added: a dropped term or factor, a changed axis, a removed or inserted
transpose, an index or a loop bound shifted by one, mean for sum, an in-place update
for a copy, swapped arguments or operands.

Each operator is an entry of :data:`OPERATORS`: ``name -> sites(node)``, where
``sites`` yields ``(description, apply)`` for every way it can change ``node``;
``apply(node)`` changes a copy of the node in place or returns a replacement node. Only
nodes on the lines of the reference code (between nbgrader's solution delimiters) are
changed, so docstrings and provided code stay as released.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from typing import Callable, Iterator

__all__ = ["Mutant", "OPERATORS", "mutants_of_cell", "solution_lines"]

Apply = Callable[[ast.AST], "ast.AST | None"]
Site = tuple[str, Apply]


@dataclass(frozen=True)
class Mutant:
    """One wrong variant of one answer cell.

    Attributes:
        assignment: e.g. ``"05_softmax"``.
        cell: the answer cell's ``grade_id``.
        function: the enclosing definition, ``name`` or ``Class.method`` (``""`` at top level).
        line: the changed line, 1-based within the cell.
        column: where the changed node starts on that line, 0-based.
        operator: a key of :data:`OPERATORS`.
        description: what changed, e.g. ``"+ -> -"``.
        source: the whole mutated cell, as Python source.
    """

    assignment: str
    cell: str
    function: str
    line: int
    column: int
    operator: str
    description: str
    source: str

    @property
    def key(self) -> str:
        return f"{self.assignment}/{self.cell}/{self.function}:{self.line}:{self.column} {self.operator} {self.description}"


def _op_name(op: ast.AST) -> str:
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
            ast.MatMult: "@", ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!=",
            ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.And: "and", ast.Or: "or"}.get(type(op), type(op).__name__)


BINARY = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult, ast.FloorDiv], ast.FloorDiv: [ast.Div],
          ast.Pow: [ast.Mult], ast.MatMult: [ast.Mult], ast.Mod: [ast.FloorDiv]}
COMPARISON = {ast.Gt: [ast.GtE, ast.Lt], ast.GtE: [ast.Gt, ast.Lt], ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.Gt],
              ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq], ast.Is: [ast.IsNot], ast.IsNot: [ast.Is], ast.In: [ast.NotIn], ast.NotIn: [ast.In]}
RENAMED = {"mean": "sum", "sum": "mean", "max": "min", "min": "max", "maximum": "minimum", "minimum": "maximum",
           "argmax": "argmin", "argmin": "argmax", "zeros": "ones", "ones": "zeros", "zeros_like": "ones_like", "ones_like": "zeros_like",
           "exp": "log", "log": "exp", "sqrt": "square", "permutation": "arange", "outer": "dot", "dot": "outer"}
NONCOMMUTATIVE = (ast.Sub, ast.Div, ast.MatMult, ast.Pow, ast.FloorDiv)


def _set(field: str, value_of: Callable[[ast.AST], object]) -> Apply:
    def apply(node: ast.AST) -> None:
        setattr(node, field, value_of(node))
    return apply


def binary_operator(node: ast.AST) -> Iterator[Site]:
    if isinstance(node, (ast.BinOp, ast.AugAssign)):
        for new in BINARY.get(type(node.op), []):
            yield f"{_op_name(node.op)} -> {_op_name(new())}", _set("op", lambda n, new=new: new())


def comparison_operator(node: ast.AST) -> Iterator[Site]:
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for new in COMPARISON.get(type(op), []):
                yield f"{_op_name(op)} -> {_op_name(new())}", _set("ops", lambda n, i=i, new=new: n.ops[:i] + [new()] + n.ops[i + 1:])


def drop_term(node: ast.AST) -> Iterator[Site]:
    """``a + b`` -> ``a`` or ``b`` (a missing term), ``a * b`` -> ``a`` or ``b`` (a missing factor)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        yield f"{_op_name(node.op)}: keep the left operand only", lambda n: n.left
        if not isinstance(node.op, (ast.Sub, ast.Div)):
            yield f"{_op_name(node.op)}: keep the right operand only", lambda n: n.right


def swap_operands(node: ast.AST) -> Iterator[Site]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, NONCOMMUTATIVE):
        yield f"a {_op_name(node.op)} b -> b {_op_name(node.op)} a", lambda n: ast.BinOp(n.right, n.op, n.left)


def unary_operator(node: ast.AST) -> Iterator[Site]:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not, ast.Invert)):
        yield f"drop unary {type(node.op).__name__}", lambda n: n.operand
    if isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield f"{_op_name(node.op)} -> {_op_name(other())}", _set("op", lambda n: other())


def _number(value: object) -> list[object]:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return {0: [1], 1: [0, 2], 2: [1]}.get(value, [value + 1, value - 1])
    if isinstance(value, float):
        return {0.0: [1.0], 1.0: [0.0, 2.0], 2.0: [1.0], 0.5: [1.0]}.get(value, [value * 2, value / 2])
    return []


def number(node: ast.AST) -> Iterator[Site]:
    if isinstance(node, ast.Constant):
        for new in _number(node.value):
            yield f"{node.value!r} -> {new!r}", _set("value", lambda n, new=new: new)


def _keyword(call: ast.Call, name: str) -> int | None:
    return next((i for i, k in enumerate(call.keywords) if k.arg == name), None)


def axis(node: ast.AST) -> Iterator[Site]:
    """``axis=k`` -> the other axis or none at all; ``keepdims=True`` dropped."""
    if not isinstance(node, ast.Call):
        return
    i = _keyword(node, "axis")
    if i is not None:
        value = node.keywords[i].value
        if isinstance(value, ast.Constant) and isinstance(value.value, int):
            new = {0: 1, 1: 0, -1: 0}.get(value.value, 0)
            yield f"axis={value.value} -> axis={new}", _set("keywords", lambda n, i=i, new=new: n.keywords[:i] + [ast.keyword("axis", ast.Constant(new))] + n.keywords[i + 1:])
        yield "drop axis=", _set("keywords", lambda n, i=i: n.keywords[:i] + n.keywords[i + 1:])
    j = _keyword(node, "keepdims")
    if j is not None:
        yield "drop keepdims=", _set("keywords", lambda n, j=j: n.keywords[:j] + n.keywords[j + 1:])


def transpose(node: ast.AST) -> Iterator[Site]:
    """``x.T`` -> ``x``; each operand of ``@`` -> its transpose."""
    if isinstance(node, ast.Attribute) and node.attr == "T":
        yield "drop .T", lambda n: n.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        yield "transpose the left operand of @", _set("left", lambda n: ast.Attribute(n.left, "T", ast.Load()))
        yield "transpose the right operand of @", _set("right", lambda n: ast.Attribute(n.right, "T", ast.Load()))


def _shifted(expr: ast.expr, by: int) -> ast.expr:
    return ast.BinOp(expr, ast.Add() if by > 0 else ast.Sub(), ast.Constant(abs(by)))


def index_shift(node: ast.AST) -> Iterator[Site]:
    """An integer index or slice bound ``i`` -> ``i + 1`` / ``i - 1`` (names and expressions too)."""
    if not isinstance(node, ast.Subscript):
        return
    index = node.slice
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    for k, part in enumerate(parts):
        bounds = [("lower", part.lower), ("upper", part.upper)] if isinstance(part, ast.Slice) else [(None, part)]
        for bound, expr in bounds:
            if expr is None or (isinstance(expr, ast.Constant) and not isinstance(expr.value, int)) or isinstance(expr, (ast.Slice, ast.Tuple, ast.List)):
                continue
            if isinstance(expr, ast.Name) and expr.id in ("None", "Ellipsis"):
                continue
            for by in (1, -1):
                yield f"index {ast.unparse(expr)} -> {ast.unparse(_shifted(expr, by))}", _shift_part(k, bound, by)


def _shift_part(k: int, bound: str | None, by: int) -> Apply:
    def apply(node: ast.Subscript) -> None:
        tuple_index = isinstance(node.slice, ast.Tuple)
        parts = node.slice.elts if tuple_index else [node.slice]
        part = parts[k]
        if bound is None:
            parts[k] = _shifted(part, by)
        else:
            setattr(part, bound, _shifted(getattr(part, bound), by))
        if not tuple_index:
            node.slice = parts[0]
    return apply


def loop_bound(node: ast.AST) -> Iterator[Site]:
    """An argument of ``range(...)`` shifted by one; a ``for`` loop that runs zero times."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        for k, arg in enumerate(node.args):
            for by in (1, -1):
                yield f"range argument {ast.unparse(arg)} -> {ast.unparse(_shifted(arg, by))}", _set(
                    "args", lambda n, k=k, by=by: n.args[:k] + [_shifted(n.args[k], by)] + n.args[k + 1:])
    if isinstance(node, ast.For):
        yield "loop over nothing", _set("iter", lambda n: ast.List([], ast.Load()))


def rename_call(node: ast.AST) -> Iterator[Site]:
    """``np.mean`` <-> ``np.sum``, ``.max()`` <-> ``.min()``, ``zeros`` <-> ``ones``... (a table)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RENAMED:
        new = RENAMED[node.func.attr]
        yield f"{node.func.attr} -> {new}", lambda n, new=new: ast.Call(ast.Attribute(n.func.value, new, ast.Load()), n.args, n.keywords)


def swap_arguments(node: ast.AST) -> Iterator[Site]:
    if isinstance(node, ast.Call) and len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
        yield "swap the first two arguments", _set("args", lambda n: [n.args[1], n.args[0], *n.args[2:]])


def in_place(node: ast.AST) -> Iterator[Site]:
    """``x = x - e`` -> ``x -= e`` (changes the caller's array); ``x.copy()`` -> ``x``."""
    if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.BinOp) and isinstance(node.value.left, ast.Name) and node.value.left.id == node.targets[0].id):
        yield f"{node.targets[0].id} = {node.targets[0].id} {_op_name(node.value.op)} ... -> in place", lambda n: ast.AugAssign(
            ast.Name(n.targets[0].id, ast.Store()), n.value.op, n.value.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "copy" and not node.args:
        yield "drop .copy()", lambda n: n.func.value


def drop_statement(node: ast.AST) -> Iterator[Site]:
    """An in-place update or a call statement removed (``pass`` in its place)."""
    if isinstance(node, ast.AugAssign) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        yield "drop the statement", lambda n: ast.Pass()


OPERATORS: dict[str, Callable[[ast.AST], Iterator[Site]]] = {
    "binary_operator": binary_operator,
    "comparison_operator": comparison_operator,
    "unary_operator": unary_operator,
    "number": number,
    "drop_term": drop_term,
    "swap_operands": swap_operands,
    "axis": axis,
    "transpose": transpose,
    "index_shift": index_shift,
    "loop_bound": loop_bound,
    "rename_call": rename_call,
    "swap_arguments": swap_arguments,
    "in_place": in_place,
    "drop_statement": drop_statement,
}
"""Every operator by name: ``sites(node)`` yields ``(description, apply)`` per way to change ``node``."""


def solution_lines(source: str) -> set[int]:
    """The 1-based lines strictly between the delimiters nbgrader's ``ClearSolutions`` looks for."""
    from nbgrader.preprocessors import ClearSolutions

    clear = ClearSolutions()
    lines, inside = set(), False
    for number_, text in enumerate(source.splitlines(), 1):
        if clear.begin_solution_delimeter in text:
            inside = True
        elif clear.end_solution_delimeter in text:
            inside = False
        elif inside:
            lines.add(number_)
    return lines


def _enclosing(tree: ast.AST) -> dict[ast.AST, str]:
    """Every node's enclosing definition: ``name`` or ``Class.method``."""
    owner: dict[ast.AST, str] = {}

    def visit(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = name
            if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                inner = f"{name}.{child.name}" if name else child.name
            owner[child] = inner
            visit(child, inner)

    visit(tree, "")
    return owner


def _replace(tree: ast.AST, target: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(v is target for v in value):
                setattr(parent, field, [new if v is target else v for v in value])
                return
    raise ValueError("node not found in its tree")


def _changed(tree: ast.Module, index: int, apply: Apply) -> str:
    """The source of ``tree`` with its ``index``-th node (``ast.walk`` order) changed by ``apply``."""
    copied = copy.deepcopy(tree)
    node = list(ast.walk(copied))[index]
    new = apply(node)
    if new is not None and new is not node:
        _replace(copied, node, new)
    return ast.unparse(ast.fix_missing_locations(copied))


def mutants_of_cell(assignment: str, cell: str, source: str, operators: dict | None = None) -> list[Mutant]:
    """Every mutant of one answer cell: one per operator site on its solution lines.

    A mutant whose source equals the original's (an operator with no effect after
    unparsing) or does not compile is left out.
    """
    tree = ast.parse(source)
    lines = solution_lines(source)
    owner = _enclosing(tree)
    original = ast.unparse(tree)
    docstrings = {id(d.body[0].value) for d in ast.walk(tree) if isinstance(d, (ast.FunctionDef, ast.ClassDef, ast.Module))
                  and d.body and isinstance(d.body[0], ast.Expr) and isinstance(d.body[0].value, ast.Constant)}
    found, seen = [], set()
    for index, node in enumerate(ast.walk(tree)):
        if getattr(node, "lineno", None) not in lines or id(node) in docstrings:
            continue
        for name, sites in (operators or OPERATORS).items():
            for description, apply in sites(node):
                mutated = _changed(tree, index, apply)
                if mutated == original or mutated in seen:
                    continue
                try:
                    compile(mutated, "<mutant>", "exec")
                except SyntaxError:
                    continue
                seen.add(mutated)
                found.append(Mutant(assignment, cell, owner.get(node, ""), node.lineno, node.col_offset, name, description, mutated))
    return found
