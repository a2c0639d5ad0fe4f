"""03_chain_rule: the solution passes everywhere, the stub scores zero, typical mistakes are caught
for the right reason, answers that differentiate with autograd/SymPy get no credit, and the oracles
(SymPy, autograd, the reference) agree."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from autograder import course
from autograder.student import probes
from autograder.questions import chain_rule as cr
import conftest
from conftest import ROOT, by_question, grade, assert_outcome

NAME = "03_chain_rule"
mutate = partial(conftest.mutate, NAME)
ASSIGNMENT = course.get_assignment(NAME)
AUTOMATIC = [q.name for q in ASSIGNMENT if not q.manual]


@pytest.fixture(scope="module")
def reference():
    return course.reference(NAME, ROOT)


# --- the solution and the stub --------------------------------------------------------

# --- realistic wrong answers ------------------------------------------------------------

def test_missing_path_update_plus_sigmoid_twice_and_misprint(submit):
    """df_da along one path only; w + lr*grad; sigmoid(a)(1 - sigmoid(a)); a1 where w2 belongs in dC/dw1."""
    result = grade(submit(
        NAME,
        reverse_mode=mutate("reverse_mode", 'df_da = df_dc * 1.0 + df_db * trace["b"]', 'df_da = df_db * trace["b"]'),
        linear_neuron_step=mutate("linear_neuron_step", '"w_new": w - lr * dL_dw, "b_new": b - lr * dL_db', '"w_new": w + lr * dL_dw, "b_new": b + lr * dL_db'),
        sigmoid_neuron_grads=mutate("sigmoid_neuron_grads", "dC_dz = (a - y) * a * (1.0 - a)", "dC_dz = (a - y) * sigmoid(a) * (1.0 - sigmoid(a))"),
        two_layer_scalar_grads=mutate("two_layer_scalar_grads", '"dC_dw1": delta1 * x', '"dC_dw1": delta2 * a1 * a1 * (1.0 - a1) * x'),
    ), NAME)
    assert_outcome(result, {
        "reverse_mode": "['df_da']",
        "linear_neuron_step": "gradient descent subtracts",
        "sigmoid_neuron_grads": "sigmoid was applied twice",
        "two_layer_scalar_grads": "a1 where w2 belongs",
        "train_scalar_network": "",  # it calls the wrong two_layer_scalar_grads
    }, ["forward_trace"])
    questions = by_question(result)
    assert questions["reverse_mode"].misconception == "one path through the graph forgotten"
    assert questions["linear_neuron_step"].misconception == "update moves up the gradient"
    assert questions["sigmoid_neuron_grads"].misconception == "sigma' evaluated at a instead of z"
    assert questions["two_layer_scalar_grads"].misconception.startswith("a1 where w2 belongs")
    assert "dC_dw1" in questions["two_layer_scalar_grads"].reason


def test_missing_factors_no_square_and_z_for_a(submit):
    """df_dx without 2x; L without the square; z(1 - z) for sigma'; delta1 without w2."""
    result = grade(submit(
        NAME,
        reverse_mode=mutate("reverse_mode", "df_dx = df_da * 2.0 * x", "df_dx = df_da"),
        linear_neuron_step=mutate("linear_neuron_step", "L = (o - y) ** 2", "L = abs(o - y)"),
        sigmoid_neuron_grads=mutate("sigmoid_neuron_grads", "dC_dz = (a - y) * a * (1.0 - a)", "dC_dz = (a - y) * z * (1.0 - z)"),
        two_layer_scalar_grads=mutate("two_layer_scalar_grads", "delta1 = delta2 * w2 * a1 * (1.0 - a1)", "delta1 = delta2 * a1 * (1.0 - a1)"),
    ), NAME)
    assert_outcome(result, {
        "reverse_mode": "['df_dx']",
        "linear_neuron_step": "squared error",
        "sigmoid_neuron_grads": "z(1 - z)",
        "two_layer_scalar_grads": "lacks the factor w2",
        "train_scalar_network": "",
    }, ["forward_trace"])
    questions = by_question(result)
    assert questions["reverse_mode"].misconception == "missing chain-rule factor"
    assert questions["linear_neuron_step"].misconception == "loss without the square"
    assert "delta1" in questions["two_layer_scalar_grads"].reason


def test_sign_factor_two_and_training_uphill(submit):
    """A sign error in df_dc; dL/dw and dL/db without the 2 of the square; training with p + lr*grad."""
    result = grade(submit(
        NAME,
        reverse_mode=mutate("reverse_mode", 'df_dc = df_dd / (2.0 * trace["d"])', 'df_dc = -df_dd / (2.0 * trace["d"])'),
        linear_neuron_step=mutate("linear_neuron_step", "dL_do = 2.0 * (o - y)", "dL_do = o - y"),
        train_scalar_network=mutate("train_scalar_network", "w1 - lr", "w1 + lr").replace("b1 - lr", "b1 + lr").replace("w2 - lr", "w2 + lr").replace("b2 - lr", "b2 + lr"),
    ), NAME)
    assert_outcome(result, {
        "reverse_mode": "['df_dc']",
        "linear_neuron_step": "['dL_dw']",
        "train_scalar_network": "wrong way",
    }, ["forward_trace", "sigmoid_neuron_grads", "two_layer_scalar_grads"])
    questions = by_question(result)
    assert questions["reverse_mode"].misconception == "sign flipped"
    assert questions["linear_neuron_step"].misconception == "factor of 2"
    assert questions["train_scalar_network"].misconception == "update moves up the gradient"


# --- answers that let a library differentiate -------------------------------------------

AUTOGRAD_ALIASED = '''
import autograd.numpy as anp
from autograd import grad as g


def reverse_mode(x):
    trace = forward_trace(x)
    return {"df_dd": 1.0,
            "df_dc": float(g(anp.sqrt)(trace["c"])),
            "df_db": float(g(lambda b: anp.sqrt(trace["a"] + b))(trace["b"])),
            "df_da": float(g(lambda a: anp.sqrt(a + anp.exp(a)))(trace["a"])),
            "df_dx": float(g(lambda t: anp.sqrt(t ** 2 + anp.exp(t ** 2)))(float(x)))}
'''

AUTOGRAD_INSIDE = '''
def sigmoid_neuron_grads(x, y, w, b):
    import autograd.numpy as np_
    from autograd import grad
    cost = lambda w_, b_: 0.5 * (1 / (1 + np_.exp(-(w_ * x + b_))) - y) ** 2
    return {"C": float(cost(w, b)), "dC_dw": float(grad(cost, 0)(float(w), float(b))), "dC_db": float(grad(cost, 1)(float(w), float(b)))}
'''

SYMPY_HELPER = '''
import functools


@functools.lru_cache(maxsize=None)
def _exact():
    import sympy
    x, y, *p = sympy.symbols("x y w1 b1 w2 b2")
    C = 0.5 * (p[2] / (1 + sympy.exp(-(p[0] * x + p[1]))) + p[3] - y) ** 2
    return sympy.lambdify((x, y, *p), [C] + [sympy.diff(C, q) for q in p])


def two_layer_scalar_grads(x, y, w1, b1, w2, b2):
    C, dw1, db1, dw2, db2 = (float(v) for v in _exact()(x, y, w1, b1, w2, b2))
    return {"C": C, "delta2": db2, "delta1": db1, "dC_dw1": dw1, "dC_db1": db1, "dC_dw2": dw2, "dC_db2": db2}
'''

MATH_ONLY = '''
import math


def linear_neuron_step(x, y, w, b, lr):
    o = math.fsum([w * x, b])
    residual = o - y
    grad_w, grad_b = 2 * residual * x, 2 * residual
    return dict(o=o, L=residual * residual, dL_dw=grad_w, dL_db=grad_b, w_new=w - lr * grad_w, b_new=b - lr * grad_b)
'''


def test_autodiff_answers_get_no_credit(submit):
    """Aliased imports (anp, grad as g), an import inside the body, and SymPy in a helper: no credit, and the
    reason says which library and why; a math-only answer and the questions that use no library still pass.
    The grader's source scan finds every one of these imports, so their cells are not run at all."""
    result = grade(submit(NAME, reverse_mode=AUTOGRAD_ALIASED, sigmoid_neuron_grads=AUTOGRAD_INSIDE,
                          two_layer_scalar_grads=SYMPY_HELPER, linear_neuron_step=MATH_ONLY), NAME)
    assert_outcome(result, {
        "reverse_mode": "it imports autograd, which this assignment does not allow (compute the result by hand)",
        "sigmoid_neuron_grads": "it imports autograd",
        "two_layer_scalar_grads": "it imports sympy",
        "train_scalar_network": "two_layer_scalar_grads",  # its helper, whose cell was not run
    }, ["forward_trace", "linear_neuron_step"], statuses=("missing", "error", "failed"))
    assert {"Cell 'reverse_mode' imports autograd, which this assignment forbids; it was not run.",
            "Cell 'two_layer_scalar_grads' imports sympy, which this assignment forbids; it was not run."} <= set(result.notes)


def test_the_notebooks_own_check_still_watches_for_autodiff(root):
    """In the student's own kernel nothing is hidden: the in-process watch names the library, as advice."""
    namespace = {"np": np}
    exec(AUTOGRAD_INSIDE, namespace)
    from autograder.student.check import Checker

    (found,) = Checker(NAME, namespace).results("sigmoid_neuron_grads")
    assert found.points == 0 and "uses autograd inside sigmoid_neuron_grads" in found.reason, found.reason
    assert found.misconception == "gradient computed by an autodiff or symbolic library"


def _watch(source: str, fn: str = "f", *args):
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<cell>", "exec"), namespace)
    observation = probes.run_call(namespace, {"fn": fn, "args": list(args) or [1.5], "kwargs": {}, "probe": "watch_autodiff"})
    assert observation["status"] == "ok", observation
    return observation["value"]


@pytest.mark.parametrize("source, library", [
    ("import autograd.numpy as anp\nfrom autograd import grad as g\ndef f(x):\n    return g(lambda t: anp.sin(t))(x)\n", "autograd"),
    ("from autograd import grad as g\ndef f(x):\n    return g(lambda t: t * t)(x)\n", "autograd"),
    ("def f(x):\n    import autograd\n    return 2.0 * x\n", "autograd"),  # imported in the body, even if unused
    ("def f(x):\n    from sympy import diff, Symbol\n    t = Symbol('t')\n    return float(diff(t ** 2, t).subs(t, x))\n", "sympy"),
    ("import importlib\ndef f(x):\n    return float(importlib.import_module('sym' + 'py').sqrt(x))\n", "sympy"),
    ("import sympy as sp\n_t = sp.Symbol('t')\nfp = sp.lambdify(_t, sp.diff(_t ** 3, _t))\ndel sp, _t\ndef f(x):\n    return float(fp(x))\n", "sympy"),
    ("import autograd.numpy as anp\nclass Helper:\n    def go(self, x):\n        return anp.exp(x)\ndef f(x):\n    return float(Helper().go(x))\n", "autograd"),
    ("def f(x):\n    import sys\n    sys.setprofile(None)\n    return x\n", "unknown"),
], ids=["aliased-module", "aliased-grad", "import-in-body-unused", "from-import-in-body", "dynamic-import", "lambdified", "helper-class", "watch-switched-off"])
def test_watch_autodiff_catches(source, library):
    """Does the probe see the library however it is reached (aliases, body imports, helpers, dynamic imports)?"""
    assert library in _watch(source)["autodiff"]


@pytest.mark.parametrize("source", [
    "import numpy as np\nimport math\ndef helper(a):\n    return np.exp(a)\ndef f(x):\n    return 2 * x * helper(x * x) / math.sqrt(x * x + 1)\n",
    "import numpy as np\nsympy_like = {'diff': 1}\ndef f(x):\n    grad = lambda t: 2 * t\n    return float(np.float64(grad(x))) + sympy_like['diff']\n",
], ids=["numpy-math", "names-that-only-look-like-libraries"])
def test_watch_autodiff_leaves_plain_answers_alone(source):
    """Are plain NumPy/math answers (even with names like grad or sympy_like) not flagged?"""
    assert _watch(source)["autodiff"] == []


def test_reference_functions_are_not_flagged(reference):
    """The reference solution itself, run under the probe, uses no library."""
    for fn, args in [("reverse_mode", [0.7]), ("two_layer_scalar_grads", [1.5, 0.5, 0.8, -0.3, 1.7, 0.2]), ("train_scalar_network", [1.5, 0.5, 0.1, 5, 0])]:
        observation = probes.run_call(reference, {"fn": fn, "args": args, "kwargs": {}, "probe": "watch_autodiff"})
        assert observation["status"] == "ok" and observation["value"]["autodiff"] == [], (fn, observation)


# --- the oracles ---------------------------------------------------------------------------

def test_worked_example_numbers(reference):
    """The curriculum's worked example: o=5, L=9, dL/dw=12, dL/db=6, w=0.8, b=0.4 (reference and oracles)."""
    step = reference["linear_neuron_step"](2.0, 2.0, 2.0, 1.0, 0.1)
    expected = {"o": 5.0, "L": 9.0, "dL_dw": 12.0, "dL_db": 6.0, "w_new": 0.8, "b_new": 0.4}
    for key, value in expected.items():
        assert step[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
    assert cr.sympy_gradient("linear", 2.0, 2.0, (2.0, 1.0)) == pytest.approx([12.0, 6.0], rel=1e-12)
    assert cr.autograd_gradient("linear", 2.0, 2.0, (2.0, 1.0)) == pytest.approx([12.0, 6.0], rel=1e-12)


def test_adjoints_sympy_autograd_reference_agree(reference):
    """On 300 random x, do SymPy's exact adjoints, autograd's and the reference's agree (and the traces)?"""
    rng = np.random.default_rng(3)
    for x in rng.uniform(-3, 3, size=300):
        x = float(x)
        exact, auto, ref = cr.sympy_adjoints(x), cr.autograd_adjoints(x), reference["reverse_mode"](x)
        for key in cr.ADJOINT_KEYS:
            assert auto[key] == pytest.approx(exact[key], rel=1e-10, abs=1e-13), (x, key)
            assert float(ref[key]) == pytest.approx(exact[key], rel=1e-10, abs=1e-13), (x, key)
        trace = reference["forward_trace"](x)
        for key in cr.TRACE_KEYS:
            assert float(trace[key]) == pytest.approx(cr.trace(x)[key], rel=1e-13), (x, key)


def test_the_stored_exact_derivatives_are_what_sympy_gives_now():
    """The checks read SymPy's derivatives from autograder/judge/exact_sources.py: is that table what SymPy
    differentiates now, and do the stored expressions give SymPy's own lambdified values?"""
    import sympy as sp

    from autograder.judge import digests

    assert digests.exact(NAME) == cr.exact_sources() == digests.generate_exact()[NAME], "run `autograder digests` and commit"
    assert digests.GENERATED_EXACT.read_text() == digests.render(digests.generate_exact(), exact_sources=True)
    x_, y_ = sp.symbols("x y", real=True)
    rng = np.random.default_rng(11)
    adjoint_exprs = {"df_dc": 1 / (2 * sp.sqrt(x_ ** 2 + sp.exp(x_ ** 2))), "df_db": 1 / (2 * sp.sqrt(x_ ** 2 + sp.exp(x_ ** 2))),
                     "df_da": sp.diff(sp.sqrt(sp.Symbol("a") + sp.exp(sp.Symbol("a"))), sp.Symbol("a")).subs(sp.Symbol("a"), x_ ** 2),
                     "df_dx": sp.diff(cr.f(x_, sp), x_)}
    for key, expr in adjoint_exprs.items():
        by_sympy = sp.lambdify(x_, expr, "math")
        for x in rng.uniform(-3, 3, size=20):
            assert cr.sympy_adjoints(float(x))[key] == pytest.approx(by_sympy(float(x)), rel=1e-14), (key, x)
    for kind, n in cr.N_PARAMS.items():
        params = sp.symbols(f"p0:{n}", real=True)
        by_sympy = sp.lambdify((x_, y_, *params), [sp.diff(cr.cost(kind, x_, y_, params, sp), p) for p in params], "math")
        for _ in range(20):
            x, y, *values = (float(v) for v in rng.normal(size=2 + n))
            assert cr.sympy_gradient(kind, x, y, values) == pytest.approx([float(v) for v in by_sympy(x, y, *values)], rel=1e-14), kind


def test_a_check_of_chain_rule_imports_no_sympy():
    """The stored derivatives are what a check uses: judging every visible case loads no SymPy."""
    import subprocess
    import sys

    code = ("import sys; from autograder.questions import chain_rule as cr; cr.sympy_adjoints(0.5); cr.sympy_gradient('two_layer', 1.0, 0.0, (0.1, 0.2, 0.3, 0.4)); "
            "print('sympy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("kind, fn, keys", [
    ("linear", "linear_neuron_step", ("dL_dw", "dL_db")),
    ("sigmoid", "sigmoid_neuron_grads", ("dC_dw", "dC_db")),
    ("two_layer", "two_layer_scalar_grads", ("dC_dw1", "dC_db1", "dC_dw2", "dC_db2")),
])
def test_neuron_gradients_sympy_autograd_reference_agree(reference, kind, fn, keys):
    """On 200 random inputs per neuron, do SymPy, autograd and the reference give the same gradients?"""
    rng = np.random.default_rng(len(kind))
    for _ in range(200):
        x, y = float(rng.uniform(-3, 3)), float(rng.uniform(-2, 2))
        params = [float(p) for p in rng.normal(size=cr.N_PARAMS[kind])]
        exact, auto = cr.sympy_gradient(kind, x, y, params), cr.autograd_gradient(kind, x, y, params)
        ref = reference[fn](x, y, *params, *([0.1] if kind == "linear" else []))
        assert auto == pytest.approx(exact, rel=1e-10, abs=1e-14)
        assert [float(ref[k]) for k in keys] == pytest.approx(exact, rel=1e-10, abs=1e-14)
        if kind == "two_layer":
            assert float(ref["delta1"]) == pytest.approx(exact[1], rel=1e-10, abs=1e-14)
            assert float(ref["delta2"]) == pytest.approx(exact[3], rel=1e-10, abs=1e-14)


def test_training_oracle_matches_reference(reference):
    """Is the grader's gradient-descent oracle (documented init, autograd gradients) the reference's training?"""
    rng = np.random.default_rng(8)
    for _ in range(10):
        x, y, lr, epochs, seed = float(rng.uniform(-2, 2)), float(rng.uniform(-1.5, 1.5)), float(rng.uniform(0.05, 0.5)), int(rng.integers(5, 60)), int(rng.integers(0, 10_000))
        ref, oracle = reference["train_scalar_network"](x, y, lr, epochs, seed), cr.train_oracle(x, y, lr, epochs, seed)
        np.testing.assert_allclose(ref["losses"], oracle["losses"], rtol=1e-10, atol=1e-14)
        for key in cr.PARAM_KEYS:
            assert ref[key] == pytest.approx(oracle[key], rel=1e-10, abs=1e-13)
        assert oracle["losses"][-1] < oracle["losses"][0]


def test_visible_cases_keep_the_diagnoses_distinguishable():
    """On the visible and many hidden cases, is every misconception value far from the right one (so no correct answer is misdiagnosed)?"""
    rng = np.random.default_rng(1)
    cases = cr._two_layer_cases(rng, False) + [c for _ in range(40) for c in cr._two_layer_cases(rng, True)]
    for x, y, w1, b1, w2, b2 in cases:
        a1 = float(cr.sigmoid(w1 * x + b1))
        assert abs(a1 / w2 - 1) > 1e-3 and abs(abs(w2) - 1) > 0.05


def _static(source: str, fn: str = "f") -> dict:
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<cell>", "exec"), namespace)
    return probes.chain_rule.static_autodiff_uses(namespace[fn])


@pytest.mark.parametrize("source, library", [
    ("import autograd.numpy as anp\nfrom autograd import grad as g\ndef f(x):\n    return g(lambda t: anp.sin(t))(x)\n", "autograd"),
    ("def f(x):\n    if x > 1e9:\n        import autograd.numpy\n    return x\n", "autograd"),  # never runs: seen in the code
    ("import functools\n@functools.lru_cache(None)\ndef d():\n    import sympy\n    return 1.0\ndef f(x):\n    return d() * x\n", "sympy"),
    ("import sympy\ndef outer():\n    s = sympy\n    def f(x):\n        return s.sqrt(x)\n    return f\nf = outer()\n", "sympy"),  # through a closure
], ids=["aliases", "import-on-a-branch-never-taken", "cached-helper", "closure"])
def test_static_analysis_sees_library_without_running(source, library):
    """Without running the function: aliases, an import on a branch not taken, a cached helper and a closure."""
    assert library in _static(source)


def test_static_analysis_ignores_attribute_names():
    """An attribute that merely shares a global's name (obj.sp while sp is SymPy) is not a use of the library."""
    source = "import sympy as sp\nclass Box:\n    sp = 2.0\ndef f(x):\n    return Box.sp * x\n"
    assert _static(source) == {}
