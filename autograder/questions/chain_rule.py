"""03_chain_rule — scalar backpropagation by hand.

Conventions (as the solution notebook states them): every function takes and returns plain
Python/NumPy numbers; results are dicts with the documented keys. f(x) = sqrt(x**2 + exp(x**2))
has the intermediates a = x**2, b = exp(a), c = a + b, d = sqrt(c). The neurons use
sigmoid(z) = 1 / (1 + exp(-z)).

Oracles: SymPy's exact derivatives (``sympy.diff``, stored as Python by `autograder digests`) and autograd's
``grad``, both applied to the definitions below (a function and a cost, never a chain rule
written out); for training, gradient descent from the documented initialisation with
autograd's gradients; in hidden cases also the reference read from the solution notebook.
Typical mistakes are named by relations between a student's value and the exact one (a
sign, a factor 2, a missing chain factor, sigma' evaluated at the wrong point).

An answer that computes its result with an autodiff or symbolic library (autograd, JAX,
PyTorch, SymPy, TensorFlow) gets no credit for that question. While grading, those libraries
are absent from the student's process and a cell importing one is not run (the assignment's
``forbidden_libraries``, see :mod:`autograder.sandbox.bans`); every call also goes through the
``watch_autodiff`` probe, whose report is believed only when it names a library, and which is
all the notebook's own ``check`` has.
"""

from __future__ import annotations

import functools

import numpy as np

from ..judge.compare import Mismatch, expect_array, expect_close, expect_scalar, expect_true
from ..judge.expectation import Expect, Mistake
from ..student.probes.chain_rule import AUTODIFF_LIBRARIES
from ..judge.relations import factor_relation, flipped_term, length_shift, term_relation
from ..judge.question import Assignment, Case
from ..judge.training_trace import UPDATE_RULES, explained, update_relation

ASSIGNMENT = Assignment("03_chain_rule", "chain_rule.ipynb", "The chain rule: scalar backpropagation by hand", forbidden_libraries=AUTODIFF_LIBRARIES)

RTOL, ATOL = 1e-9, 1e-12
TRACE_KEYS = ("a", "b", "c", "d")
ADJOINT_KEYS = ("df_dd", "df_dc", "df_db", "df_da", "df_dx")  # the order in which reverse mode computes them
LINEAR_KEYS = ("o", "L", "dL_dw", "dL_db", "w_new", "b_new")
SIGMOID_KEYS = ("C", "dC_dw", "dC_db")
TWO_LAYER_KEYS = ("C", "delta2", "delta1", "dC_dw1", "dC_db1", "dC_dw2", "dC_db2")
PARAM_KEYS = ("w1", "b1", "w2", "b2")
WORKED_EXAMPLE = {"x": 2.0, "y": 2.0, "w": 2.0, "b": 1.0, "lr": 0.1}

AUTODIFF = ASSIGNMENT.misconception(
    "autodiff", "gradient computed by an autodiff or symbolic library",
    "these functions practise the chain rule: compute every derivative with NumPy/math arithmetic, not with autograd, JAX, PyTorch or SymPy.",
    detected_by=("property", "ban"), questions=("forward_trace", "reverse_mode", "linear_neuron_step", "sigmoid_neuron_grads", "two_layer_scalar_grads", "train_scalar_network"))
SIGN = ASSIGNMENT.misconception("sign", "sign flipped", "check the sign of each local derivative, and that (o - y) is not written (y - o).",
                              questions=("reverse_mode", "linear_neuron_step", "sigmoid_neuron_grads", "two_layer_scalar_grads"))
FACTOR_2 = ASSIGNMENT.misconception("factor_2", "factor of 2", "a power rule or a square root brings a factor 2 (or 1/2): d(u^2)/du = 2u, d sqrt(c)/dc = 1/(2 sqrt(c)).",
                                  questions=("reverse_mode", "linear_neuron_step", "sigmoid_neuron_grads", "two_layer_scalar_grads"))
MISSING_FACTOR = ASSIGNMENT.misconception("missing_chain_factor", "missing chain-rule factor",
                                          "the chain rule multiplies EVERY local derivative along the path from the output back to this variable.",
                                          questions=("forward_trace", "reverse_mode", "linear_neuron_step", "sigmoid_neuron_grads", "two_layer_scalar_grads"))
MISSING_PATH = ASSIGNMENT.misconception("missing_path", "one path through the graph forgotten",
                                        "a variable used twice receives the sum of the adjoints flowing back along each of its outgoing edges.", questions=("reverse_mode",))
SIGMA_AT_A = ASSIGNMENT.misconception("sigma_prime_at_a", "sigma' evaluated at a instead of z",
                                      "sigma'(z) = sigma(z)(1 - sigma(z)) = a(1 - a): apply sigmoid to z once, or use a directly, never both.",
                                      questions=("sigmoid_neuron_grads", "two_layer_scalar_grads"))
A1_FOR_W2 = ASSIGNMENT.misconception("a1_for_w2", "a1 where w2 belongs (the lecture-note misprint)",
                                     "dz2/da1 = w2: the error reaches the hidden unit through the weight w2, not through its own activation a1.",
                                     questions=("two_layer_scalar_grads",))
NO_SQUARE = ASSIGNMENT.misconception("no_square", "loss without the square", "the loss is the SQUARED error (o - y)**2.", questions=("linear_neuron_step",))
NODE = ASSIGNMENT.misconception("node_formula", "a node computed with the wrong operation",
                                "each node applies one operation to the node before it: a = x**2, b = exp(a), c = a + b, d = sqrt(c); fix the first node that differs.",
                                detected_by="property", questions=("forward_trace",))
FORWARD = ASSIGNMENT.misconception("forward_pass", "forward pass wrong",
                                   "the derivatives are taken at the forward values: compute z = w*x + b, each activation and the output exactly as defined before differentiating.",
                                   detected_by="property", questions=("linear_neuron_step", "sigmoid_neuron_grads", "two_layer_scalar_grads"))
COST_FORMULA = ASSIGNMENT.misconception("cost_formula", "cost formula wrong",
                                        "your output is right but not the cost computed from it: (o - y)**2 for the linear neuron, 0.5 * (a - y)**2 for the sigmoid and two-layer networks.",
                                        detected_by="property", questions=("linear_neuron_step", "sigmoid_neuron_grads", "two_layer_scalar_grads"))
FACTOR_DIVIDED = ASSIGNMENT.misconception("factor_divided", "divided by a local derivative",
                                          "the chain rule MULTIPLIES the local derivatives along the path; none of them divides.",
                                          questions=("reverse_mode", "linear_neuron_step", "sigmoid_neuron_grads", "two_layer_scalar_grads"))
TERM_SIGN = ASSIGNMENT.misconception("term_sign", "a term with the wrong sign",
                                     "compare your expression term by term with the derivative: one term has the opposite sign (check each minus, as in (o - y) or 1 - a, and that the paths add up).",
                                     questions=("reverse_mode", "linear_neuron_step", "sigmoid_neuron_grads", "two_layer_scalar_grads"))
MISSING_TERM = ASSIGNMENT.misconception("missing_term", "a term missing",
                                        "compare your expression term by term with the derivative: (o - y) and (a - y) keep the target y, and an update w - lr * dL/dw keeps both the old value and the step.",
                                        questions=("linear_neuron_step", "sigmoid_neuron_grads", "two_layer_scalar_grads"))
FROZEN = ASSIGNMENT.misconception("parameter_not_updated", "a parameter never updated", "every epoch moves all four parameters, each by -lr * its own gradient.",
                                  questions=("train_scalar_network",))
LR_MISSING = ASSIGNMENT.misconception("step_without_lr", "learning rate missing from a step", "every step is the learning rate times the gradient: p -= lr * dC/dp.",
                                      questions=("train_scalar_network",))
EPOCHS_OFF_BY_ONE = ASSIGNMENT.misconception("epochs_off_by_one", "one epoch too many or too few", "the loop runs exactly epochs times, range(epochs), and records one cost in each.",
                                             questions=("train_scalar_network",))
UPDATE_PLUS = ASSIGNMENT.misconception("update_plus", "update moves up the gradient", "gradient descent subtracts: w_new = w - lr * dL/dw.",
                                      questions=("linear_neuron_step", "train_scalar_network"))
CHAIN_ZERO = ASSIGNMENT.misconception("chain_derivative_zero", "a derivative of zero in the chain",
                                      "each node's derivative is the one above it times the node's own local derivative, from df/dd = 1 down: none of them "
                                      "is 0 for this f, so a 0 means a local derivative or the seed written as 0 (or an integer division).", questions=("reverse_mode",))
UPDATE_RULE = ASSIGNMENT.misconception("update_rule", "update rule", "every step moves each parameter by minus the learning rate times its gradient: p <- p - lr * dC/dp.",
                                       questions=("linear_neuron_step", "train_scalar_network"))


# --- the definitions (for NumPy, autograd.numpy or SymPy alike) ---------------------------

def sigmoid(z, xp=np):
    """1 / (1 + exp(-z)) from its definition; ``xp`` is numpy, autograd.numpy or sympy."""
    return 1 / (1 + xp.exp(-z))


def f(x, xp=np):
    """f(x) = sqrt(x**2 + exp(x**2))."""
    return xp.sqrt(x ** 2 + xp.exp(x ** 2))


def trace(x: float) -> dict[str, float]:
    """The intermediates a, b, c, d of f at x, from their one-line definitions."""
    a = x ** 2
    b = float(np.exp(a))
    return {"a": a, "b": b, "c": a + b, "d": float(np.sqrt(a + b))}


def cost(kind: str, x, y, params, xp=np):
    """The cost of each neuron question as a function of its parameters, from the definitions."""
    if kind == "linear":
        w, b = params
        return (w * x + b - y) ** 2
    if kind == "sigmoid":
        w, b = params
        return 0.5 * (sigmoid(w * x + b, xp) - y) ** 2
    if kind == "two_layer":
        w1, b1, w2, b2 = params
        return 0.5 * (w2 * sigmoid(w1 * x + b1, xp) + b2 - y) ** 2
    raise KeyError(kind)


N_PARAMS = {"linear": 2, "sigmoid": 2, "two_layer": 4}


# --- the oracles ----------------------------------------------------------------------

ADJOINT_SOURCES = ("df_dc", "df_db", "df_da", "df_dx")
COST_ARGUMENTS = {kind: ("x", "y", *(f"p{i}" for i in range(n))) for kind, n in N_PARAMS.items()}


def exact_sources() -> dict:
    """SymPy's exact derivatives printed as Python over ``math`` (``sympy.pycode`` of ``sympy.diff``):
    ``"adjoints"``: df/dc, df/db, df/da, df/dx as expressions in x; each cost kind: [dC/dp for p in
    p0, p1, ...] in x, y, p0, p1, .... Run by `autograder digests`, which stores the table
    (autograder/judge/exact_sources.py), so that no check imports SymPy; a test asserts it is current."""
    import sympy as sp

    x, y, a, b, c = sp.symbols("x y a b c", real=True)
    at = {a: x ** 2, b: sp.exp(x ** 2), c: x ** 2 + sp.exp(x ** 2)}
    adjoints = {  # df/dv: f written as a function of v and of what v flows into, differentiated
        "df_dc": sp.diff(sp.sqrt(c), c),
        "df_db": sp.diff(sp.sqrt(a + b), b),
        "df_da": sp.diff(sp.sqrt(a + sp.exp(a)), a),
        "df_dx": sp.diff(f(x, sp), x),
    }
    table: dict = {"adjoints": {k: sp.pycode(adjoints[k].subs(at)) for k in ADJOINT_SOURCES}}
    for kind, names in COST_ARGUMENTS.items():
        x, y, *params = sp.symbols(names, real=True)
        expr = cost(kind, x, y, params, sp)
        table[kind] = [sp.pycode(sp.diff(expr, p)) for p in params]
    return table


@functools.cache
def _exact_functions() -> dict:
    """The stored exact derivatives (:func:`exact_sources`) as functions of floats."""
    import math

    from ..judge.digests import exact

    table = exact(ASSIGNMENT.name)
    compiled = lambda arguments, body: eval(compile(f"lambda {', '.join(arguments)}: {body}", "<exact derivatives>", "eval"), {"math": math})
    funcs = {"adjoints": {k: compiled(("x",), e) for k, e in table["adjoints"].items()}}
    for kind, arguments in COST_ARGUMENTS.items():
        funcs[kind] = compiled(arguments, f"[{', '.join(table[kind])}]")
    return funcs


def sympy_adjoints(x: float) -> dict[str, float]:
    """df/dd, df/dc, df/db, df/da, df/dx at x by SymPy (exact derivatives, evaluated in floating point)."""
    return {"df_dd": 1.0, **{k: float(fn(x)) for k, fn in _exact_functions()["adjoints"].items()}}


def autograd_adjoints(x: float) -> dict[str, float]:
    """The same adjoints by autograd, each the derivative of f written in terms of that node."""
    import autograd.numpy as anp
    from autograd import grad

    t = trace(x)
    return {
        "df_dd": 1.0,
        "df_dc": float(grad(anp.sqrt)(t["c"])),
        "df_db": float(grad(lambda b: anp.sqrt(t["a"] + b))(t["b"])),
        "df_da": float(grad(lambda a: anp.sqrt(a + anp.exp(a)))(t["a"])),
        "df_dx": float(grad(lambda v: f(v, anp))(float(x))),
    }


def sympy_gradient(kind: str, x: float, y: float, params) -> list[float]:
    """[dC/dp for p in params] of ``cost(kind)`` by SymPy."""
    return [float(v) for v in _exact_functions()[kind](x, y, *params)]


def autograd_gradient(kind: str, x: float, y: float, params) -> list[float]:
    """[dC/dp for p in params] of ``cost(kind)`` by autograd."""
    import autograd.numpy as anp
    from autograd import grad

    point = np.array([float(p) for p in params])
    return [float(g) for g in grad(lambda v: cost(kind, x, y, [v[i] for i in range(len(point))], anp))(point)]


def train_oracle(x: float, y: float, lr: float, epochs: int, seed: int, step: float = -1.0) -> dict:
    """Gradient descent (``step=-1``) from the documented initialisation with autograd's gradients.

    Initialisation: ``rng = np.random.default_rng(seed); w1, w2 = rng.normal(size=2)``, b1 = b2 = 0.
    ``losses[k]`` is the cost at the parameters used in epoch k, before that epoch's update.
    ``step=+1`` walks up the gradient instead (to recognise a sign mistake).
    """
    params, losses = _trained(float(x), float(y), float(lr), int(epochs), int(seed), float(step))
    return {**dict(zip(PARAM_KEYS, params)), "losses": np.array(losses)}


@functools.lru_cache(maxsize=1024)
def _trained(x: float, y: float, lr: float, epochs: int, seed: int, step: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """:func:`train_oracle`'s final parameters and losses, computed once per run for each training
    (the visible cases train the same way for every student)."""
    rng = np.random.default_rng(seed)
    w1, w2 = rng.normal(size=2)
    params = [float(w1), 0.0, float(w2), 0.0]
    losses = []
    for _ in range(epochs):
        losses.append(float(cost("two_layer", x, y, params)))
        grads = autograd_gradient("two_layer", x, y, params)
        params = [p + step * lr * g for p, g in zip(params, grads)]
    return tuple(params), tuple(losses)


# --- shared checking helpers ----------------------------------------------------------------

def _unwrap(got, fn: str):
    """The value the student returned, after refusing answers that used an autodiff library."""
    if not isinstance(got, dict) or "value" not in got or "autodiff" not in got:
        raise Mismatch(f"the call of {fn} could not be observed.")
    libraries = [str(v) for v in got.get("autodiff") or []]
    if libraries:
        where = "; ".join(str(w) for w in got.get("where") or [])
        names = ", ".join(libraries)
        if libraries == ["unknown"]:
            raise Mismatch(f"{fn} switched off the kit's watch for autodiff libraries ({where}); these functions must compute the chain rule by hand.",
                           misconception=AUTODIFF)
        raise Mismatch(f"uses {names} inside {fn}; these functions must compute the chain rule by hand, with NumPy or math "
                       f"arithmetic only, so this question gets no credit while {fn} uses {names} (seen: {where}).", misconception=AUTODIFF)
    return got["value"]


def _fields(value, keys, fn: str) -> dict[str, float]:
    """Validate a dict of numbers with (at least) ``keys``; return them as floats."""
    if not isinstance(value, dict):
        raise Mismatch(f"{fn} should return a dict with the keys {', '.join(keys)}, but it returned a {getattr(value, 'type_name', type(value).__name__)}.")
    missing = [k for k in keys if k not in value]
    if missing:
        raise Mismatch(f"the dict returned by {fn} lacks the key(s) {', '.join(map(repr, missing))} (it has {', '.join(map(repr, value)) or 'none'}).")
    return {k: expect_scalar(value[k], f"{fn}(...)[{k!r}]") for k in keys}


def _part(fn: str, keys, key: str):
    """A ``read=`` for ``key`` of ``fn``'s dict of numbers: the student's observed call is unwrapped first
    (refusing autodiff), the reference's plain dict is read as it is; every key is validated, as one result."""
    def read(got, *args):
        plain = isinstance(got, dict) and "autodiff" not in got and all(k in got for k in keys)
        return _fields(got if plain else _unwrap(got, fn), keys, fn)[key]
    return read


def _close(a: float, b: float, rtol: float = 1e-7) -> bool:
    return abs(a - b) <= 1e-12 + rtol * abs(b)


def _compare(got: float, expected: float, what: str, oracles, alternatives=(), factors=None, terms=None) -> None:
    """got == expected, else name the first alternative (value, misconception, sentence) it equals.

    An alternative is only considered when it is distinguishable from the expected value,
    so a correct answer is never diagnosed. A sign and a factor of 2 are always tried; then,
    when given, the relations to ``factors`` (id -> value; ``expected`` is their product: one
    missing, dividing or twice) and to ``terms`` (id -> value; ``expected`` is their sum: one
    missing, twice or of the opposite sign), which the question's table names.
    """
    if _close(got, expected, RTOL):
        return
    candidates = list(alternatives) + [
        (-expected, SIGN, f"{what} has the wrong sign."),
        (2 * expected, FACTOR_2, f"{what} is twice what it should be: a factor 2 too many."),
        (expected / 2, FACTOR_2, f"{what} is half what it should be: a factor 2 is missing."),
    ]
    for value, key, sentence in candidates:
        if np.isfinite(value) and not _close(value, expected, 1e-4) and _close(got, value):
            raise Mismatch(sentence, misconception=key)
    try:
        expect_close(got, expected, what, rtol=RTOL, atol=ATOL, reveal=oracles.reveal)
    except Mismatch as wrong:
        found = None if wrong.relation else _by_parts(got, expected, factors or {}, terms or {})
        if found is None:
            raise
        raise Mismatch(f"{wrong.message}\n  your value is {found.text}.", relation=found.key) from None


def _by_parts(got: float, expected: float, factors, terms):
    """A term missing or of the opposite sign, else a factor missing or dividing: the relations this module's tables
    name (a term counted twice is not one of them, so it is not looked for: it would hide a missing factor that
    happens to give the same number)."""
    missing = term_relation(got, expected, terms, rtol=1e-7)
    return (missing if missing is not None and missing.kind.startswith("missing:") else None) or flipped_term(got, expected, terms, rtol=1e-7) or \
        factor_relation(got, expected, factors, rtol=1e-7)


def _sign_and_factor_2(definition) -> tuple[Mistake, ...]:
    """The mistakes :func:`_compare` always tries, after a question's own: the sign, twice, half."""
    return (Mistake(SIGN, lambda *args: -definition(*args)), Mistake(FACTOR_2, lambda *args: 2 * definition(*args)),
            Mistake(FACTOR_2, lambda *args: definition(*args) / 2))


def _scalar(fn: str, keys, key: str, definition, mistakes=(), factors=None, terms=None, otherwise=None) -> Expect:
    """One key of ``fn``'s dict judged as :func:`_compare` does: against ``definition(*args)`` (the reference's
    on hidden cases), the question's ``mistakes`` then the sign and factor 2 named at rtol 1e-7 where they
    differ from the right value by 1e-4, else a relation by parts to ``factors(*args)`` and ``terms(*args)``."""
    explain = None if factors is None and terms is None else \
        lambda got, expected, *args: _by_parts(got, expected, factors(*args) if factors else {}, terms(*args) if terms else {})
    return Expect(f"{fn}(...)[{key!r}]", definition, reference=fn, result="scalar", rtol=RTOL, atol=ATOL, read=_part(fn, keys, key),
                  mistakes=(*mistakes, *_sign_and_factor_2(definition)), match_rtol=1e-7, distinct_rtol=1e-4, explain=explain, otherwise=otherwise)


def _forward_wrong(what: str) -> Mismatch:
    """The forward value ``what`` is wrong, and the student's other values agree with that wrong value."""
    return Mismatch(f"{what} is wrong, and your other values agree with it: the forward pass itself differs from its definition.", misconception=FORWARD)


def _cost(got: float, expected: float, what: str, oracles, alternatives, right: str) -> None:
    """:func:`_compare` for a cost whose input, the output ``right``, is known to be right: a difference no
    alternative explains is in the cost formula itself."""
    try:
        _compare(got, expected, what, oracles, alternatives)
    except Mismatch as wrong:
        if wrong.misconception or wrong.relation:
            raise
        raise Mismatch(f"{wrong.message}\n{right}: the cost computed from it is not.", misconception=COST_FORMULA) from None


def _reference_agrees(values: dict, oracles, fn: str, *args) -> None:
    """In hidden cases, the student's values must also agree with the reference solution."""
    if oracles.judges_by_reference:
        ref = oracles.reference(fn)(*args)
        for key, value in values.items():
            expect_close(value, float(ref[key]), f"{fn}(...)[{key!r}]", rtol=1e-8, atol=1e-12, reveal=False)


def _sigmoid_prime_alternatives(z: float, ratio_what: str, expected: float, what: str) -> list:
    """The sigma'(z) mistakes, as the values ``expected`` takes when sigma'(z) is replaced."""
    s = float(sigmoid(z))
    true = s * (1 - s)
    a_s = float(sigmoid(s))
    return [
        (expected * a_s * (1 - a_s) / true, SIGMA_AT_A, f"{what} uses sigma'(a) = sigmoid(a)(1 - sigmoid(a)) with a = sigmoid(z): sigmoid was applied twice; {ratio_what} needs sigma'(z)."),
        (expected * z * (1 - z) / true, SIGMA_AT_A, f"{what} uses z(1 - z): the formula a(1 - a) for sigma' was applied to the pre-activation z instead of to a = sigmoid(z)."),
        (expected / true, MISSING_FACTOR, f"{what} lacks the factor sigma'(z) = da/dz: {ratio_what} passes through the sigmoid."),
    ]


# --- questions ------------------------------------------------------------------------------

def _xs(rng, hidden: bool, count: int = 5) -> list[float]:
    if not hidden:
        return [-1.3, 0.4, 2.0]
    return [float(v) for v in rng.uniform(-2.5, 2.5, size=count)]


def _trace_check(x: float):
    def check(got, oracles):
        values = _fields(_unwrap(got, "forward_trace"), TRACE_KEYS, "forward_trace")
        expected = trace(x)
        if _close(values["b"], float(np.exp(x))) and not _close(expected["b"], float(np.exp(x))):
            raise Mismatch("b should be exp(a) = exp(x**2), but it is exp(x): each node takes the node before it as input.", misconception=MISSING_FACTOR)
        wrong = next((key for key in TRACE_KEYS if not _close(values[key], expected[key], RTOL)), None)
        follows = {"b": lambda v: np.exp(v["a"]), "c": lambda v: v["a"] + v["b"], "d": lambda v: np.sqrt(v["c"]) if v["c"] >= 0 else np.nan}
        if wrong is not None and all(_close(values[k], follows[k](values)) for k in TRACE_KEYS[TRACE_KEYS.index(wrong) + 1:]):
            raise Mismatch(f"forward_trace({x:g})[{wrong!r}] is wrong, and the nodes after it follow from it by their definitions: the operation of node {wrong!r} is wrong.",
                           misconception=NODE)
        for key in TRACE_KEYS:
            expect_close(values[key], expected[key], f"forward_trace({x:g})[{key!r}]", rtol=RTOL, atol=ATOL, reveal=oracles.reveal)
        _reference_agrees(values, oracles, "forward_trace", x)
    return check


@ASSIGNMENT.question(points=1, functions=("forward_trace",))
def forward_trace(rng, hidden):
    """forward_trace(x) returns the intermediates a = x^2, b = exp(a), c = a + b, d = sqrt(c)."""
    for x in _xs(rng, hidden):
        yield Case(f"x = {x:.6g}", "forward_trace", (x,), check=_trace_check(x), probe="watch_autodiff")


def adjoint(key: str):
    """df/d<node> at x for ``key`` of ADJOINT_KEYS, by SymPy, once autograd's agrees."""
    def value(x):
        exact = sympy_adjoints(x)[key]
        expect_close(autograd_adjoints(x)[key], exact, f"autograd vs SymPy for {key}", rtol=1e-9, atol=1e-12)
        return exact
    return value


_exact = lambda key: lambda x: sympy_adjoints(x)[key]
_node = lambda key: lambda x: trace(x)[key]
ADJOINT_MISTAKES = {
    "df_dc": (Mistake(FACTOR_2, lambda x: 1 / np.sqrt(trace(x)["c"])),),  # d sqrt(c)/dc without its 1/2
    "df_db": (Mistake(MISSING_FACTOR, lambda x: _exact("df_dc")(x) * _node("b")(x)),),  # exp(a) of the edge a -> b put on b -> c
    "df_da": (Mistake(MISSING_PATH, lambda x: _exact("df_db")(x) * _node("b")(x)),  # only a -> b -> c
              Mistake(MISSING_PATH, _exact("df_dc")),  # only a -> c
              Mistake(MISSING_PATH, lambda x: _exact("df_dc")(x) * _node("b")(x))),
    "df_dx": (Mistake(MISSING_FACTOR, _exact("df_da")),  # without da/dx = 2x
              Mistake(FACTOR_2, lambda x: _exact("df_da")(x) * x)),
}
ADJOINT_FACTORS = {"df_dc": lambda x: {"1/2": 0.5, "1/d": 1 / trace(x)["d"]}, "df_db": lambda x: {"df_dc": _exact("df_dc")(x)},
                   "df_dx": lambda x: {"df_da": _exact("df_da")(x), "2": 2.0, "x": x}}
ADJOINT_TERMS = {"df_da": lambda x: {"path a -> c": _exact("df_dc")(x), "path a -> b -> c": _exact("df_db")(x) * _node("b")(x)}}
ADJOINTS = tuple(_scalar("reverse_mode", ADJOINT_KEYS, key, adjoint(key), ADJOINT_MISTAKES.get(key, ()), ADJOINT_FACTORS.get(key), ADJOINT_TERMS.get(key))
                 for key in ADJOINT_KEYS)  # in the order reverse mode computes them: the first wrong one is the one to fix


@ASSIGNMENT.question(points=2, functions=("reverse_mode",))
def reverse_mode(rng, hidden):
    """reverse_mode(x) returns the adjoints df/dd, df/dc, df/db, df/da, df/dx of f(x) = sqrt(x^2 + exp(x^2))."""
    for x in _xs(rng, hidden):
        yield Case(f"x = {x:.6g}", "reverse_mode", (x,), expect=ADJOINTS, probe="watch_autodiff")


def linear_gradient(k: int):
    """dL/dw (k = 0) or dL/db (k = 1) of the linear neuron at (x, y, w, b), by autograd."""
    return lambda x, y, w, b, lr: autograd_gradient("linear", x, y, (w, b))[k]


def linear_update(k: int):
    """w_new (k = 0) or b_new (k = 1): the parameter minus lr times its gradient."""
    return lambda x, y, w, b, lr: (w, b)[k] - lr * linear_gradient(k)(x, y, w, b, lr)


_o = lambda x, y, w, b, lr: w * x + b
_error = lambda x, y, w, b, lr: w * x + b - y
_linear = functools.partial(_scalar, "linear_neuron_step", LINEAR_KEYS)
LINEAR = (
    # every wrong o is the forward pass, also one that expect_close finds of the wrong sign, off by 2 or zero
    Expect("linear_neuron_step(...)['o'] (o = w*x + b)", _o, reference="linear_neuron_step", result="scalar", rtol=RTOL, atol=ATOL,
           read=_part("linear_neuron_step", LINEAR_KEYS, "o"), otherwise=FORWARD,
           mistakes=tuple(Mistake(FORWARD, lambda *args, k=k: k * _o(*args)) for k in (-1.0, 2.0, 0.5, 0.0))),
    _linear("L", lambda *args: _error(*args) ** 2, otherwise=COST_FORMULA, mistakes=(  # judged once o is right
        Mistake(NO_SQUARE, lambda *args: abs(_error(*args))),
        Mistake(NO_SQUARE, _error),
        Mistake(FACTOR_2, lambda *args: 0.5 * _error(*args) ** 2))),
    _linear("dL_dw", linear_gradient(0), mistakes=(
        Mistake(FACTOR_2, lambda x, y, w, b, lr: _error(x, y, w, b, lr) * x),
        Mistake(MISSING_FACTOR, lambda *args: 2 * _error(*args))),
        factors=lambda x, y, w, b, lr: {"2": 2.0, "o - y": _error(x, y, w, b, lr), "x": x}, terms=lambda x, y, w, b, lr: {"y": -2 * y * x}),
    _linear("dL_db", linear_gradient(1), mistakes=(
        Mistake(FACTOR_2, _error),
        Mistake(MISSING_FACTOR, lambda x, y, w, b, lr: linear_gradient(1)(x, y, w, b, lr) * x)),
        factors=lambda *args: {"2": 2.0, "o - y": _error(*args)}, terms=lambda x, y, w, b, lr: {"y": -2 * y}),
    *(_linear(key, linear_update(k), mistakes=(
        Mistake(UPDATE_PLUS, lambda x, y, w, b, lr, k=k: (w, b)[k] + lr * linear_gradient(k)(x, y, w, b, lr)),
        Mistake(MISSING_FACTOR, lambda x, y, w, b, lr, k=k: (w, b)[k] - linear_gradient(k)(x, y, w, b, lr)),  # the step without lr
        *(Mistake(UPDATE_RULE, lambda x, y, w, b, lr, k=k, step=step: step((w, b)[k], linear_gradient(k)(x, y, w, b, lr), lr, 0.0))
          for rule, (step, _) in UPDATE_RULES.items() if rule not in ("update:uphill", "update:without_lr", "update:frozen"))),  # those three: above, and a missing term
        terms=lambda x, y, w, b, lr, k=k: {"step": -lr * linear_gradient(k)(x, y, w, b, lr)}) for k, key in enumerate(("w_new", "b_new"))),
)


@ASSIGNMENT.question(points=2, functions=("linear_neuron_step",))
def linear_neuron_step(rng, hidden):
    """linear_neuron_step(x, y, w, b, lr) returns o, L = (o - y)^2, dL/dw, dL/db and one gradient-descent step."""
    if not hidden:
        cases = [tuple(WORKED_EXAMPLE.values()), (1.5, -0.5, 0.3, -0.7, 0.05), (-2.0, 1.0, -1.2, 0.4, 0.2)]
    else:
        cases = [(float(rng.uniform(-3, 3)), float(rng.uniform(-2, 2)), float(rng.normal()), float(rng.normal()), float(rng.uniform(0.01, 0.3))) for _ in range(5)]
    for x, y, w, b, lr in cases:
        label = f"x={x:.4g}, y={y:.4g}, w={w:.4g}, b={b:.4g}, lr={lr:.4g}" + (" (the worked example)" if (x, y, w, b, lr) == tuple(WORKED_EXAMPLE.values()) else "")
        yield Case(label, "linear_neuron_step", (x, y, w, b, lr), expect=LINEAR, probe="watch_autodiff")


def _sigmoid_check(x, y, w, b):
    def check(got, oracles):
        values = _fields(_unwrap(got, "sigmoid_neuron_grads"), SIGMOID_KEYS, "sigmoid_neuron_grads")
        z = w * x + b
        a = float(sigmoid(z))
        exact = sympy_gradient("sigmoid", x, y, (w, b))
        auto = autograd_gradient("sigmoid", x, y, (w, b))
        expect_close(auto, exact, "autograd vs SymPy", rtol=1e-9, atol=1e-14)
        call = f"sigmoid_neuron_grads(x={x:g}, y={y:g}, w={w:g}, b={b:g})"
        if not _close(values["C"], 0.5 * (a - y) ** 2, RTOL) and values["C"] >= 0:
            for other in (y + np.sqrt(2 * values["C"]), y - np.sqrt(2 * values["C"])):  # the activations your cost belongs to
                dz = (other - y) * other * (1 - other)
                if not _close(other, a, 1e-6) and _close(values["dC_db"], dz) and _close(values["dC_dw"], dz * x):
                    raise _forward_wrong(f"{call}['C']")
        halved = [((a - y) ** 2, FACTOR_2, "C is (a - y)**2: this cost has the factor 1/2, C = 0.5 * (a - y)**2.")]
        if _close(values["dC_db"], exact[1], RTOL):
            _cost(values["C"], 0.5 * (a - y) ** 2, f"{call}['C']", oracles, halved, right="dC_db is right, so your activation a is right")
        else:
            _compare(values["C"], 0.5 * (a - y) ** 2, f"{call}['C']", oracles, halved)
        chain = {"a - y": a - y, "a": a, "1 - a": 1 - a}
        for key, expected, factor in (("dC_dw", exact[0], "dC/dw"), ("dC_db", exact[1], "dC/db")):
            alternatives = _sigmoid_prime_alternatives(z, factor, expected, f"{call}[{key!r}]")
            local = {"x": x} if key == "dC_dw" else {}
            if key == "dC_dw":
                alternatives.append((expected / x, MISSING_FACTOR, f"{key} lacks the factor dz/dw = x."))
            else:
                alternatives.append((expected * x, MISSING_FACTOR, f"{key} has a factor x: dz/db = 1."))
            _compare(values[key], expected, f"{call}[{key!r}]", oracles, alternatives, factors={**chain, **local},
                     terms={"y": -y * a * (1 - a) * local.get("x", 1.0)})
        _reference_agrees(values, oracles, "sigmoid_neuron_grads", x, y, w, b)
    return check


@ASSIGNMENT.question(points=2, functions=("sigmoid_neuron_grads",))
def sigmoid_neuron_grads(rng, hidden):
    """sigmoid_neuron_grads(x, y, w, b) returns C = 0.5 (a - y)^2 and dC/dw, dC/db for a = sigmoid(w x + b)."""
    if not hidden:
        cases = [(1.5, 0.0, 0.8, -0.3), (-0.7, 1.0, 1.6, 0.5), (2.5, 1.0, -0.4, 0.2)]
    else:
        cases = [(float(rng.uniform(-3, 3)), float(rng.integers(0, 2)), float(rng.normal()), float(rng.normal())) for _ in range(5)]
    for x, y, w, b in cases:
        yield Case(f"x={x:.4g}, y={y:g}, w={w:.4g}, b={b:.4g}", "sigmoid_neuron_grads", (x, y, w, b), check=_sigmoid_check(x, y, w, b), probe="watch_autodiff")


def _two_layer_check(x, y, w1, b1, w2, b2):
    def check(got, oracles):
        values = _fields(_unwrap(got, "two_layer_scalar_grads"), TWO_LAYER_KEYS, "two_layer_scalar_grads")
        z1 = w1 * x + b1
        a1 = float(sigmoid(z1))
        a2 = w2 * a1 + b2
        exact = dict(zip(("dC_dw1", "dC_db1", "dC_dw2", "dC_db2"), sympy_gradient("two_layer", x, y, (w1, b1, w2, b2))))
        auto = autograd_gradient("two_layer", x, y, (w1, b1, w2, b2))
        expect_close(auto, list(exact.values()), "autograd vs SymPy", rtol=1e-9, atol=1e-14)
        exact["delta2"], exact["delta1"] = exact["dC_db2"], exact["dC_db1"]  # dC/dz = dC/db, since dz/db = 1
        exact["C"] = 0.5 * (a2 - y) ** 2
        call = f"two_layer_scalar_grads(x={x:g}, y={y:g}, w1={w1:g}, b1={b1:g}, w2={w2:g}, b2={b2:g})"
        hidden_unit = lambda key, e: _sigmoid_prime_alternatives(z1, "the error reaching z1", e, f"{call}[{key!r}]") + [
            (e / w2, MISSING_FACTOR, f"{key} lacks the factor w2 = dz2/da1: the error reaches the hidden unit through the weight w2."),
            (e * a1 / w2, A1_FOR_W2, f"{key} uses a1 where w2 belongs (a misprint in some lecture notes): dz2/da1 = w2, so the hidden unit's share is delta2 * w2 * sigma'(z1)."),
        ]
        if not _close(values["C"], exact["C"], RTOL) and not _close(values["delta2"], exact["delta2"], RTOL) and _close(values["C"], 0.5 * values["delta2"] ** 2):
            raise _forward_wrong(f"{call}['C']")  # C = 0.5 * delta2**2 as it should: the output a2 they share is wrong
        alternatives = {
            "C": [((a2 - y) ** 2, FACTOR_2, "C is (a2 - y)**2: this cost has the factor 1/2.")],
            "delta2": [],
            "delta1": hidden_unit("delta1", exact["delta1"]),
            "dC_dw1": hidden_unit("dC_dw1", exact["dC_dw1"]) + [(exact["dC_dw1"] / x, MISSING_FACTOR, "dC_dw1 lacks the factor dz1/dw1 = x.")],
            "dC_db1": hidden_unit("dC_db1", exact["dC_db1"]),
            "dC_dw2": [(exact["dC_dw2"] / a1, MISSING_FACTOR, "dC_dw2 lacks the factor dz2/dw2 = a1."),
                       (exact["dC_dw2"] * w2 / a1, MISSING_FACTOR, "dC_dw2 uses w2 where a1 belongs: dz2/dw2 = a1, the input of the output unit.")],
            "dC_db2": [],
        }
        hidden_chain = {"delta2": exact["delta2"], "w2": w2, "a1": a1, "1 - a1": 1 - a1}
        factors = {"delta1": hidden_chain, "dC_dw1": {**hidden_chain, "x": x}, "dC_db1": hidden_chain, "dC_dw2": {"delta2": exact["delta2"], "a1": a1}}
        through = {"delta2": 1.0, "delta1": w2 * a1 * (1 - a1), "dC_dw1": w2 * a1 * (1 - a1) * x, "dC_db1": w2 * a1 * (1 - a1), "dC_dw2": a1, "dC_db2": 1.0}
        if not _close(values["C"], exact["C"], RTOL) and _close(values["delta2"], exact["delta2"], RTOL):
            _cost(values["C"], exact["C"], f"{call}['C']", oracles, alternatives["C"], right="delta2 = a2 - y is right, so your output a2 is right")
        for key in TWO_LAYER_KEYS:
            _compare(values[key], exact[key], f"{call}[{key!r}]", oracles, alternatives[key], factors=factors.get(key),
                     terms={"y": -y * through[key]} if key in through else None)
        _reference_agrees(values, oracles, "two_layer_scalar_grads", x, y, w1, b1, w2, b2)
    return check


def _two_layer_cases(rng, hidden):
    if not hidden:
        return [(1.5, 0.5, 0.8, -0.3, 1.7, 0.2), (-1.2, 2.0, -1.1, 0.6, -2.3, 0.4), (0.6, -1.0, 2.2, -0.5, 0.45, -0.1)]
    cases = []
    while len(cases) < 5:
        x, y, w1, b1, w2, b2 = (float(v) for v in rng.uniform(-2.5, 2.5, size=6))
        if abs(abs(w2) - 1) > 0.1 and abs(abs(x) - 1) > 0.1:  # keep the factors w2 and x distinguishable from 1
            cases.append((x, y, w1, b1, w2, b2))
    return cases


@ASSIGNMENT.question(points=2, functions=("two_layer_scalar_grads",))
def two_layer_scalar_grads(rng, hidden):
    """two_layer_scalar_grads(x, y, w1, b1, w2, b2) returns C, delta2, delta1 and the four parameter gradients."""
    for args in _two_layer_cases(rng, hidden):
        label = "x={:.4g}, y={:.4g}, w1={:.4g}, b1={:.4g}, w2={:.4g}, b2={:.4g}".format(*args)
        yield Case(label, "two_layer_scalar_grads", args, check=_two_layer_check(*args), probe="watch_autodiff")


def _train_check(x, y, lr, epochs, seed):
    def check(got, oracles):
        value = _unwrap(got, "train_scalar_network")
        if not isinstance(value, dict) or any(k not in value for k in (*PARAM_KEYS, "losses")):
            raise Mismatch("train_scalar_network should return a dict with the keys 'w1', 'b1', 'w2', 'b2' and 'losses'.")
        params = {k: expect_scalar(value[k], f"the returned {k!r}") for k in PARAM_KEYS}
        miscounted = length_shift(value["losses"], epochs)
        if miscounted is not None:
            raise Mismatch(f"'losses' holds {len(value['losses'])} costs for {epochs} epochs: {miscounted.text}.", relation=miscounted.key)
        losses = expect_array(value["losses"], (epochs,), f"'losses' (one cost per epoch, {epochs} epochs)")
        descent = train_oracle(x, y, lr, epochs, seed)
        initial = train_oracle(x, y, lr, 0, seed)
        first = float(cost("two_layer", x, y, [initial[k] for k in PARAM_KEYS]))
        if not _close(losses[0], first, 1e-9):
            raise Mismatch(f"losses[0] should be the cost at the initial parameters (rng = np.random.default_rng(seed); w1, w2 = rng.normal(size=2); b1 = b2 = 0), "
                           f"recorded before the first update; it is {losses[0]:.6g}" + (f" instead of {first:.6g}." if oracles.reveal else "."))
        if epochs > 1:
            ascent = train_oracle(x, y, lr, epochs, seed, step=+1.0)
            if np.allclose(losses, ascent["losses"], rtol=1e-7, atol=1e-12) and not np.allclose(ascent["losses"], descent["losses"], rtol=1e-4):
                raise Mismatch("the loss goes the wrong way: the parameters move along the gradient (+) instead of against it (-).", misconception=UPDATE_PLUS)
            shifted = train_oracle(x, y, lr, epochs + 1, seed)["losses"][1:]
            if np.allclose(losses, shifted, rtol=1e-7, atol=1e-12) and not np.allclose(shifted, descent["losses"], rtol=1e-7):
                raise Mismatch("losses[k] is recorded after the k-th update; the convention is the cost BEFORE each update (losses[0] = initial cost).")
        try:
            expect_close(losses, descent["losses"], "losses", rtol=1e-7, atol=1e-12, reveal=oracles.reveal)
            for key in PARAM_KEYS:
                expect_close(params[key], descent[key], f"{key} after {epochs} epochs", rtol=1e-7, atol=1e-10, reveal=oracles.reveal)
        except Mismatch as wrong:
            raise Mismatch(wrong.message + "\nThe initial cost is right, so the updates differ: make sure the two_layer_scalar_grads question passes "
                           "(training uses its gradients), that every parameter moves by -lr * its gradient, and that all four gradients "
                           "are computed at the old parameters before any of them changes.") from None
        expect_true(losses[-1] < losses[0], "the loss did not decrease over training.")
        if oracles.judges_by_reference:
            ref = oracles.reference("train_scalar_network")(x, y, lr, epochs, seed)
            for key in PARAM_KEYS:
                expect_close(params[key], float(ref[key]), f"{key} after {epochs} epochs", rtol=1e-7, atol=1e-10, reveal=False)
            expect_close(losses, np.asarray(ref["losses"], dtype=float), "losses", rtol=1e-7, atol=1e-12, reveal=False)
    return check


def _updates(lr: float):
    """How the first recorded epochs moved each parameter, from the calls of two_layer_scalar_grads the run made (each
    call's parameters are those the previous epoch's update gave): the first update that breaks p <- p - lr * dC/dp."""
    def finding(got):
        calls = got["calls"]
        for number, (now, then) in enumerate(zip(calls, calls[1:]), start=1):
            for key in PARAM_KEYS:
                found = update_relation(key, key, now["arguments"][key], now["result"][f"dC_d{key}"], then["arguments"][key], lr, number=number,
                                        source="two_layer_scalar_grads returned")
                if found is not None:
                    return found
        return None
    return finding


@ASSIGNMENT.question(points=2, functions=("train_scalar_network",))
def train_scalar_network(rng, hidden):
    """train_scalar_network(x, y, lr, epochs, seed) runs gradient descent from the documented initialisation and returns the params and the losses."""
    if not hidden:
        cases = [(1.5, 0.5, 0.5, 40, 0), (-1.0, 2.0, 0.3, 25, 7)]
    else:
        cases = [(float(rng.uniform(-2, 2)), float(rng.uniform(-1.5, 1.5)), float(rng.uniform(0.05, 0.5)), int(rng.integers(10, 60)), int(rng.integers(0, 10_000))) for _ in range(3)]
    for x, y, lr, epochs, seed in cases:
        yield Case(f"x={x:.4g}, y={y:.4g}, lr={lr:.4g}, epochs={epochs}, seed={seed}", "train_scalar_network", (x, y, lr, epochs, seed),
                   check=explained(_train_check(x, y, lr, epochs, seed), with_traces=True, finding=_updates(lr)), probe="watch_autodiff_recording", timeout=20.0)


ASSIGNMENT.sample_mistakes.update({
    # The update climbs the gradient.
    "linear_neuron_step": (
        "def linear_neuron_step(x, y, w, b, lr):\n"
        "    o = w * x + b\n"
        "    L = (o - y) ** 2\n"
        "    dL_dw, dL_db = 2 * (o - y) * x, 2 * (o - y)\n"
        "    return {'o': o, 'L': L, 'dL_dw': dL_dw, 'dL_db': dL_db, 'w_new': w + lr * dL_dw, 'b_new': b + lr * dL_db}\n"
    ),
    # The gradient is computed by autograd instead of by hand.
    "reverse_mode": (
        "def reverse_mode(x):\n"
        "    import autograd.numpy as anp\n"
        "    from autograd import grad\n"
        "    df_dx = float(grad(lambda t: anp.sqrt(t ** 2 + anp.exp(t ** 2)))(float(x)))\n"
        "    return {'df_dd': 1.0, 'df_dc': 0.0, 'df_db': 0.0, 'df_da': 0.0, 'df_dx': df_dx}\n"
    ),
})

# --- the contract: the clauses of each student function's docstring, and the questions that check them ---
ASSIGNMENT.contract("forward_trace", value='Returns {"a": x**2, "b": exp(a), "c": a + b, "d": sqrt(c)} of numbers.')
ASSIGNMENT.checks("forward_trace", "forward_trace.value")
ASSIGNMENT.contract("reverse_mode", value='Returns {"df_dd", "df_dc", "df_db", "df_da", "df_dx"}: the derivative of f with respect to each node.',
                    by_hand="Computed backwards from df/dd = 1 with the chain rule, without an autodiff library.")
ASSIGNMENT.checks("reverse_mode", "reverse_mode.value", "reverse_mode.by_hand")
ASSIGNMENT.contract("linear_neuron_step", value='Returns {"o", "L", "dL_dw", "dL_db"} for o = w*x + b and L = (o - y)**2, at the given w, b.',
                    step="w_new = w - lr * dL_dw, b_new = b - lr * dL_db.")
ASSIGNMENT.checks("linear_neuron_step", "linear_neuron_step.value", "linear_neuron_step.step")
ASSIGNMENT.contract("sigmoid_neuron_grads", value='Returns {"C", "dC_dw", "dC_db"} for a = sigmoid(w*x + b), C = 0.5 * (a - y)**2.')
ASSIGNMENT.checks("sigmoid_neuron_grads", "sigmoid_neuron_grads.value")
ASSIGNMENT.contract("two_layer_scalar_grads", value='Returns {"C", "delta2", "delta1", "dC_dw1", "dC_db1", "dC_dw2", "dC_db2"}, delta2 = dC/dz2, delta1 = dC/dz1.')
ASSIGNMENT.checks("two_layer_scalar_grads", "two_layer_scalar_grads.value")
ASSIGNMENT.contract("train_scalar_network", init="rng = np.random.default_rng(seed); w1, w2 = rng.normal(size=2); b1 = b2 = 0.0.",
                    step="Each epoch: the gradients at the current parameters, then p -= lr * dC/dp for every parameter.",
                    losses="losses: shape (epochs,), losses[k] = the cost before the k-th update.",
                    result='Returns {"w1", "b1", "w2", "b2", "losses"}.')
ASSIGNMENT.checks("train_scalar_network", "train_scalar_network.init", "train_scalar_network.step", "train_scalar_network.losses", "train_scalar_network.result")

# --- what a relation between a student's value and the exact one means here (autograder.relations) ---
_CHAIN = {"missing_factor": MISSING_FACTOR, "inverted_factor": FACTOR_DIVIDED}
ASSIGNMENT.relations("reverse_mode", {**_CHAIN, "flipped:path a -> c": TERM_SIGN, "flipped:path a -> b -> c": TERM_SIGN, "zero": CHAIN_ZERO})
ASSIGNMENT.relations("linear_neuron_step", {**_CHAIN, "missing:y": MISSING_TERM, "flipped:y": TERM_SIGN, "missing:step": MISSING_TERM})
for _question in ("sigmoid_neuron_grads", "two_layer_scalar_grads"):
    ASSIGNMENT.relations(_question, {**_CHAIN, "missing:y": MISSING_TERM, "flipped:y": TERM_SIGN})
ASSIGNMENT.relations("train_scalar_network", {"length+1": EPOCHS_OFF_BY_ONE, "length-1": EPOCHS_OFF_BY_ONE, **dict.fromkeys(("update", *UPDATE_RULES), UPDATE_RULE),
                                              "update:uphill": UPDATE_PLUS, "update:frozen": FROZEN, "update:without_lr": LR_MISSING})
