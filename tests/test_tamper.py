"""Tampering with the kit inside the student's process earns nothing beyond the same answer untampered.

A student controls every line of the process their code runs in, the kit's own modules
included. Each attack below is an answer cell of 03_chain_rule or 04_backprop that, besides
its answer, patches something the grader might be tempted to believe: the probe registry, a
probe module's globals, the timers, the autodiff watch, the checking code, the result
channel, the calls of a law case. Each has an honest twin: the same answer with the tampering removed. The whole class
is graded once, as ``autograder grade`` does; each test asserts that the attack scores no
question higher than its twin, and that the question it aimed at scores 0 where the twin's
answer deserves 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import ROOT, by_question, solution_source
from test_backprop import LOOP_BACKWARD

from autograder import course
from autograder.course import simulate
from autograder.grade import grade_folder
from autograder.sandbox.isolation import detect

CHAIN = course.get_assignment("03_chain_rule")
BACKPROP = course.get_assignment("04_backprop")


@dataclass
class Attack:
    """A submission whose answer cells ``replace`` (by grade_id) tamper with the kit; ``twin`` names the
    same answers untampered; ``aims_at`` are the questions it tries to win, which must score 0."""

    assignment: object
    replace: dict[str, str]
    twin: str | None = None
    aims_at: set[str] = field(default_factory=set)
    needs_bubblewrap: bool = False


ZEROS_BACKWARD = '''
def backward(params, cache, dC_dA_out, activations):
    return [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
'''

# Every clock a probe or a check could read, frozen; the kit's modules' own references too.
FROZEN_TIMERS = '''
import sys, time
for _name in ("perf_counter", "process_time", "thread_time", "time", "monotonic", "perf_counter_ns", "process_time_ns"):
    setattr(time, _name, lambda *a: 0)
for _module in list(sys.modules.values()):
    for _name in ("perf_counter", "process_time", "thread_time", "monotonic"):
        if getattr(_module, "__name__", "").startswith("autograder") and hasattr(_module, _name):
            setattr(_module, _name, lambda *a: 0)
'''

# The probe the grader asks for is replaced by one that answers at once: zeros, and old-style timings.
FAKE_PROBES = '''
import numpy as _np
from autograder.student import probes as _probes
def _instant(namespace, fn, args, kwargs):
    sizes = args[0]
    return [(_np.zeros((a, b)), _np.zeros(b)) for a, b in zip(sizes[:-1], sizes[1:])]
for _name in list(_probes.PROBES):
    if _name not in ("call", "with_activation", "activation_pair", "forward_backward_mse", "numerical_gradient_of", "call_each"):
        _probes.PROBES[_name] = _instant
_probes.PROBES["time_forward_backward"] = lambda *a: {"student": 1e-6, "baseline": 1.0}
'''

# The probe is replaced by one that computes the right gradients fast with autograd, not with `backward`.
AUTOGRAD_PROBE = '''
import importlib as _importlib
from autograder.student import probes as _probes
from autograder.student.probes import backprop as _pb
def _by_autograd(namespace, fn, args, kwargs):
    anp = _importlib.import_module("auto" + "grad.numpy")
    grad = getattr(_importlib.import_module("auto" + "grad"), "grad")
    params, Xs, Gs, acts = _pb.timing_workload(*args)
    X, G = Xs.reshape(-1, Xs.shape[-1]), Gs.reshape(-1, Gs.shape[-1])
    def cost(p):
        A = X
        for (W, b), name in zip(p, acts):
            A = anp.tanh(A @ W + b) if name == "tanh" else A @ W + b
        return anp.sum(G * A)
    return grad(cost)(params)
_probes.PROBES["forward_backward_passes"] = _by_autograd
'''

# The probe module's globals: a workload of one batch instead of the requested hundreds.
SMALL_WORKLOAD = '''
from autograder.student.probes import backprop as _pb
_original = _pb.timing_workload
_pb.timing_workload = lambda sizes, n, repeats, seed: _original(sizes, n, 1, seed)
'''

# The checking code, as far as the student's process has it: every comparison made lenient.
LENIENT_CHECKS = '''
import numpy as _np
import autograder.judge.compare as _compare
from autograder.questions import backprop as _qb
_np.allclose = lambda *a, **k: True
_compare.expect_close = lambda *a, **k: None
_qb.VECTORISED_FACTOR = 1e9
_qb._timing_check = lambda *a: (lambda got, oracles: None)
'''

# The result channel: forged answers written straight to the grader's pipe before the real one.
FORGED_CHANNEL = '''
import json as _json, os as _os, sys as _sys
_calls = [0]
_honest = backward
def backward(params, cache, dC_dA_out, activations):
    _calls[0] += 1
    fd = int(_sys.argv[2]) if len(_sys.argv) > 2 and _sys.argv[2].isdigit() else None
    if fd is not None and _calls[0] == 1:
        for index in range(200):
            line = {"event": "call", "index": index, "observation": {"status": "ok", "value": None, "mutated": [], "seconds": 0.0}}
            _os.write(fd, (_json.dumps(line) + "\\n").encode())
        _os.write(fd, b'{"event": "done"}\\n')
    return _honest(params, cache, dC_dA_out, activations)
'''

AUTOGRAD_FORWARD_TRACE = '''
import importlib as _importlib
def forward_trace(x):
    anp = _importlib.import_module("auto" + "grad.numpy")
    a = x ** 2
    b = float(anp.exp(a))
    c = a + b
    return {"a": a, "b": b, "c": c, "d": float(anp.sqrt(c))}
'''

# The autodiff watch switched off: the probe replaced by a plain call that reports no library.
WATCH_REPLACED = '''
from autograder.student import probes as _probes
_probes.PROBES["watch_autodiff"] = lambda namespace, fn, args, kwargs: {"value": namespace[fn](*args, **kwargs), "autodiff": [], "where": []}
'''

# The watch told that the library's own modules are the ban's stand-in, whose code it does not count.
WATCH_FOOLED = '''
import sys as _sys
for _name, _module in list(_sys.modules.items()):
    if _name.split(".")[0] == "autograd":
        _module.STAND_IN = True
'''

# The profiling hook the watch relies on removed, and the import hook restored, from inside the call.
WATCH_UNHOOKED = '''
import builtins as _builtins, sys as _sys
_real_import = _builtins.__import__
_answer = forward_trace
def forward_trace(x):
    _sys.setprofile(None)
    _builtins.__import__ = _real_import
    return _answer(x)
'''

# A cost that is always 0 obeys every law of mse_cost; the law probe faked as well, answering 0 for every varied call.
ZERO_COST = "def mse_cost(A, Y):\n    return 0.0\n"
FAKE_LAWS = '''
from autograder.student import probes as _probes
_probes.PROBES["call_variants"] = lambda namespace, fn, args, kwargs: [0.0 for _ in args]
'''

# autograd named openly in a cell (allowed in 04): the timed call then runs in a process of its own without it
OPEN_AUTOGRAD = "import autograd.numpy as anp  # 04 allows autograd in the open\n"

BACKWARD = solution_source("04_backprop", "backward")
FORWARD_TRACE = solution_source("03_chain_rule", "forward_trace")

ATTACKS = {
    # 04_backprop: the vectorised point
    "twin_solution": Attack(BACKPROP, {}),
    "twin_loop": Attack(BACKPROP, {"backward": LOOP_BACKWARD}, aims_at={"vectorised"}),
    "twin_zeros": Attack(BACKPROP, {"backward": ZEROS_BACKWARD}, aims_at={"vectorised"}),
    "frozen_timers_loop": Attack(BACKPROP, {"backward": FROZEN_TIMERS + LOOP_BACKWARD}, "twin_loop", {"vectorised"}),
    "frozen_timers_solution": Attack(BACKPROP, {"backward": FROZEN_TIMERS + BACKWARD}, "twin_solution"),
    "fake_probes_loop": Attack(BACKPROP, {"backward": FAKE_PROBES + LOOP_BACKWARD}, "twin_loop", {"vectorised"}),
    "autograd_probe_loop": Attack(BACKPROP, {"backward": AUTOGRAD_PROBE + LOOP_BACKWARD}, "twin_loop", {"vectorised"}, needs_bubblewrap=True),
    "twin_open_autograd": Attack(BACKPROP, {"backward": OPEN_AUTOGRAD + BACKWARD}),
    "twin_open_autograd_loop": Attack(BACKPROP, {"backward": OPEN_AUTOGRAD + LOOP_BACKWARD}, aims_at={"vectorised"}),
    "autograd_probe_open_loop": Attack(BACKPROP, {"backward": OPEN_AUTOGRAD + AUTOGRAD_PROBE + LOOP_BACKWARD}, "twin_open_autograd_loop", {"vectorised"},
                                       needs_bubblewrap=True),
    "small_workload_loop": Attack(BACKPROP, {"backward": SMALL_WORKLOAD + LOOP_BACKWARD}, "twin_loop", {"vectorised"}),
    "lenient_checks_zeros": Attack(BACKPROP, {"backward": LENIENT_CHECKS + ZEROS_BACKWARD}, "twin_zeros", {"vectorised", "backward"}),
    "forged_channel_loop": Attack(BACKPROP, {"backward": LOOP_BACKWARD + FORGED_CHANNEL}, "twin_loop", {"vectorised"}),
    # 04_backprop: the laws of mse_cost, which can only take points away
    "twin_zero_cost": Attack(BACKPROP, {"mse_cost": ZERO_COST}, aims_at={"mse"}),
    "fake_laws_zero_cost": Attack(BACKPROP, {"mse_cost": FAKE_LAWS + ZERO_COST}, "twin_zero_cost", {"mse"}),
    "fake_laws_solution": Attack(BACKPROP, {"mse_cost": FAKE_LAWS + solution_source("04_backprop", "mse_cost")}, "twin_solution"),
    # 03_chain_rule: the ban on autodiff libraries
    "twin_chain_solution": Attack(CHAIN, {}),
    "twin_autograd": Attack(CHAIN, {"forward_trace": AUTOGRAD_FORWARD_TRACE}, aims_at={"forward_trace"}, needs_bubblewrap=True),
    "watch_replaced_autograd": Attack(CHAIN, {"forward_trace": WATCH_REPLACED + AUTOGRAD_FORWARD_TRACE}, "twin_autograd", {"forward_trace"},
                                      needs_bubblewrap=True),
    "watch_unhooked_autograd": Attack(CHAIN, {"forward_trace": AUTOGRAD_FORWARD_TRACE + WATCH_UNHOOKED}, "twin_autograd", {"forward_trace"},
                                      needs_bubblewrap=True),
    "watch_fooled_autograd": Attack(CHAIN, {"forward_trace": AUTOGRAD_FORWARD_TRACE.replace("    a = x ** 2", WATCH_FOOLED.replace("\n", "\n    ").rstrip() + "\n    a = x ** 2")},
                                    "twin_autograd", {"forward_trace"}, needs_bubblewrap=True),
    "watch_replaced_solution": Attack(CHAIN, {"forward_trace": WATCH_REPLACED + FORWARD_TRACE}, "twin_chain_solution"),
    "plain_import_sympy": Attack(CHAIN, {"forward_trace": "import sympy\n" + FORWARD_TRACE}, "twin_chain_solution", {"forward_trace"}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the whole class once, as `autograder grade` does; results by (student, assignment)."""
    base = tmp_path_factory.mktemp("tamper")
    submitted, out = base / "submitted", base / "out"
    for student, attack in ATTACKS.items():
        simulate.write(simulate.fill(attack.assignment, ROOT, replace=attack.replace), submitted, student, attack.assignment)
    results = grade_folder(submitted, out, [CHAIN.name, BACKPROP.name], seed=7, jobs=2, root=ROOT)
    return {r.student: r for r in results}


def _points(result) -> dict[str, float]:
    return {name: q.points for name, q in by_question(result).items()}


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(s for s, a in ATTACKS.items() if a.twin))
def test_tampering_earns_nothing_beyond_the_honest_twin(graded, student):
    attack = ATTACKS[student]
    if attack.needs_bubblewrap and not detect().bwrap:
        pytest.skip("the library ban is enforced by the sandbox only under bubblewrap")
    tampered, twin = _points(graded[student]), _points(graded[attack.twin])
    higher = {q: (tampered[q], twin[q]) for q in tampered if tampered[q] > twin[q]}
    assert not higher, f"{student} scored more than {attack.twin} on {higher}: {[by_question(graded[student])[q].reason for q in higher]}"
    assert sum(tampered.values()) <= sum(twin.values())
    for question in attack.aims_at:
        assert tampered[question] == 0, (student, question, by_question(graded[student])[question].reason)


@pytest.mark.slow
def test_the_twins_are_graded_for_what_they_are(graded):
    """The twins are the yardstick: the solutions pass everything, a loop or zeros lose `vectorised` (and zeros `backward`),
    and an answer computed with autograd loses its question because autograd is absent from the sandbox."""
    for twin in ("twin_solution", "twin_open_autograd"):  # the second imports autograd openly: it is there for it
        solution = by_question(graded[twin])
        assert all(q.status in ("passed", "manual") for q in solution.values()), {n: q.reason for n, q in solution.items() if q.status != "passed"}
    assert all(q.status in ("passed", "manual") for q in by_question(graded["twin_chain_solution"]).values())
    loop = by_question(graded["twin_loop"])
    assert loop["vectorised"].points == 0 and "loop over the samples" in loop["vectorised"].reason
    assert all(q.passed for n, q in loop.items() if n != "vectorised" and not q.status == "manual")
    zeros = by_question(graded["twin_zeros"])
    assert zeros["vectorised"].points == 0 and "wrong" in zeros["vectorised"].reason
    if detect().bwrap:
        autograd = by_question(graded["twin_autograd"])["forward_trace"]
        assert autograd.points == 0 and "not available" in autograd.reason


@pytest.mark.slow
def test_a_probe_that_computes_the_gradients_with_autograd_finds_no_autograd(graded):
    if not detect().bwrap:
        pytest.skip("needs bubblewrap")
    for student in ("autograd_probe_loop", "autograd_probe_open_loop"):  # one child without autograd; a child of its own for the timing
        reason = by_question(graded[student])["vectorised"].reason
        assert "not available" in reason, (student, reason)


@pytest.mark.slow
def test_an_imported_forbidden_library_is_caught_in_the_source_before_anything_runs(graded):
    result = graded["plain_import_sympy"]
    assert "ForbiddenLibrary" in by_question(result)["forward_trace"].reason
    assert any("sympy" in note and "forbids" in note for note in result.notes)


@pytest.mark.slow
def test_what_holds_the_library_bans_is_stated_in_the_run_record(graded):
    sandbox = graded["twin_chain_solution"].sandbox
    assert "libraries an assignment forbids" in sandbox
    assert ("absent from the student's file system" in sandbox) == bool(detect().bwrap)


# --- the pieces, without grading a class ---------------------------------------------------------

@pytest.mark.parametrize("source, found", [
    ("import autograd.numpy as anp\nfrom autograd import grad\n", ["autograd"]),
    ("def f(x):\n    import sympy\n    return sympy.diff(x)\n", ["sympy"]),
    ("import importlib\nm = importlib.import_module('jax.numpy')\n", ["jax"]),
    ("t = __import__('torch')\n", ["torch"]),
    ("from tensorflow import keras as k\nimport numpy\n", ["tensorflow"]),
    ("import numpy as np\nimport math\nfrom .sympy import x\nautograd = 1\n", []),  # a relative import, a variable: allowed
    ("import sympy(\n", []),  # does not parse: the cell fails on its own
])
def test_the_source_scan_finds_imports_of_forbidden_libraries(source, found):
    from autograder.sandbox.bans import forbidden_imports

    assert forbidden_imports(source, ("autograd", "jax", "sympy", "torch", "tensorflow")) == found


@pytest.mark.parametrize("source, named", [
    ("import autograd.numpy as anp", True), ("sys.modules['torch']", True), ("# compare with sympy", True),
    ("from autograder import checker", False), ('name = "auto" + "grad"', False), ("jaxlib_version = 1", False),
])
def test_a_library_named_in_a_cell_is_a_whole_word(source, named):
    """Whether a cell names a library openly decides whether a call that must not have it runs in a process of its own."""
    from autograder.sandbox.bans import names_any

    assert names_any(source, ("autograd", "torch", "sympy", "jax")) is named


def test_installed_forbidden_libraries_are_found_with_their_metadata():
    import autograd

    from autograder.sandbox.bans import library_paths

    paths = library_paths(("autograd", "no_such_library_here"))
    assert Path(autograd.__file__).resolve().parent in paths
    assert any(p.name.startswith("autograd-") and p.name.endswith(".dist-info") for p in paths), paths
    assert not any("no_such_library_here" in str(p) for p in paths)


@pytest.mark.parametrize("walls, says", [
    ({"bwrap": "/usr/bin/bwrap"}, "absent from the student's file system"),
    ({"unshare": "/usr/bin/unshare"}, "which student code can undo"),
    ({}, "NOT enforced by the sandbox (no namespaces): only the submitted source is scanned"),
])
def test_the_report_says_what_keeps_forbidden_libraries_out(walls, says):
    from autograder.sandbox.isolation import Isolation

    assert "libraries an assignment forbids: " in Isolation(**walls).describe()
    assert says in Isolation(**walls).describe()


def test_a_library_folder_is_covered_by_the_stub_under_bubblewrap(tmp_path):
    """bubblewrap's arguments cover a forbidden package with a read-only tmpfs holding only the stub as its __init__.py."""
    from autograder.sandbox.bans import STUB
    from autograder.sandbox.isolation import Confinement, Isolation

    package = tmp_path / "somelib"
    package.mkdir()
    command = Confinement(Isolation(bwrap="bwrap"), tmp_path / "work", libraries=[package]).command(["python"])
    at = command.index(str(package.resolve()))
    assert command[at - 1] == "--tmpfs" and command[at + 1:at + 4] == ["--ro-bind", str(STUB), str(package.resolve() / "__init__.py")]
    assert command[at + 4:at + 6] == ["--remount-ro", str(package.resolve())]
