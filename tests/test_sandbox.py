"""Does student code that loops, crashes, exits or floods cost only its own answers?"""

import os
import subprocess
import time

import numpy as np
import pytest

from autograder.student import plain
from autograder.course.notebook import CodeCell
from autograder.sandbox import Limits, SandboxRunner

FAST = Limits(wall_seconds=4.0, cell_seconds=2.0)


def request(fn, *args, timeout=2.0):
    return {"fn": fn, "args": plain.encode(list(args)), "kwargs": {}, "probe": "call", "timeout": timeout}


def run(sources, requests, limits=FAST):
    runner = SandboxRunner([CodeCell(f"c{i}", s) for i, s in enumerate(sources)], limits, budget_seconds=60)
    return runner, runner(requests)


GOOD = "def good(x):\n    return x + 1\n"


def test_values_come_back_as_plain_data():
    _, (obs,) = run([GOOD], [request("good", np.arange(3.0))])
    assert obs["status"] == "ok"
    np.testing.assert_array_equal(plain.decode(obs["value"]), [1.0, 2.0, 3.0])


def test_an_infinite_loop_in_a_call_times_out_and_the_next_call_runs():
    runner, (loop, good) = run([GOOD, "def spin():\n    while True:\n        pass\n"], [request("spin", timeout=1.0), request("good", 1)])
    assert loop["status"] == "timeout" and "measured 2 times" in loop["error"]["message"]
    assert good["status"] == "ok" and plain.decode(good["value"]) == 2
    assert runner.children == 2  # the timeout is measured again in a fresh process before it counts


def test_a_loop_that_swallows_the_alarm_is_killed_and_grading_goes_on():
    stubborn = "def stubborn():\n    while True:\n        try:\n            while True:\n                pass\n        except BaseException:\n            pass\n"
    start = time.monotonic()
    runner, (first, stuck, last) = run([GOOD, stubborn], [request("good", 1), request("stubborn", timeout=1.0), request("good", 2)])
    assert first["status"] == "ok" and last["status"] == "ok"
    assert stuck["status"] == "timeout" and "CPU time" in stuck["error"]["message"]
    assert runner.children == 3
    assert time.monotonic() - start < 30


def test_a_cell_that_never_finishes_is_skipped_with_a_note():
    stubborn_cell = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass\n"
    runner, (obs,) = run([stubborn_cell, GOOD], [request("good", 1)])
    assert obs["status"] == "ok"
    assert "c0" in runner.cell_errors and any("did not finish" in n for n in runner.notes)


@pytest.mark.parametrize("body, status", [
    ("import os\n    os._exit(0)", "not_run"),
    ("import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)", "not_run"),
    ("import sys\n    sys.exit(3)", "error"),
    ("return bytearray(8 * 2**30)", "error"),
    ("return input('answer? ')", "error"),
])
def test_exits_kills_memory_bombs_and_input_cost_only_that_call(body, status):
    bad = f"def bad():\n    {body}\n"
    _, (obs, good) = run([GOOD, bad], [request("bad"), request("good", 41)])
    assert obs["status"] == status
    assert good["status"] == "ok" and plain.decode(good["value"]) == 42


@pytest.mark.parametrize("stop", ["import sys\nsys.exit(0)\n", "exit()\n", "quit(1)\n"])
def test_a_top_level_exit_in_a_cell_does_not_stop_later_cells(stop):
    runner, (obs,) = run([stop, GOOD], [request("good", 1)])
    assert obs["status"] == "ok"
    assert runner.cell_errors["c0"]["type"] == "SystemExit"


def test_the_child_imports_this_kit_and_the_installed_libraries_but_nothing_from_its_folder():
    """The child starts without site (see autograder.sandbox.interpreter): its path must still
    find NumPy and matplotlib where the grader finds them, and the kit's own modules here."""
    import matplotlib
    import numpy

    import autograder
    probe = ("import os, sys, numpy, matplotlib, autograder\n"
             "def where():\n    return [numpy.__file__, matplotlib.__file__, autograder.__file__, '' in sys.path, os.getcwd() in sys.path,"
             " callable(help), sys.flags.no_site]\n")
    _, (obs,) = run([probe], [request("where")])
    assert obs["status"] == "ok", obs
    numpy_file, matplotlib_file, kit_file, empty, cwd, has_help, no_site = plain.decode(obs["value"])
    assert (numpy_file, matplotlib_file, kit_file) == (numpy.__file__, matplotlib.__file__, autograder.__file__)
    assert not empty and not cwd and has_help and no_site == 1


def test_the_child_sees_a_minimal_environment_and_no_stdin(monkeypatch):
    monkeypatch.setenv("INSTRUCTOR_SECRET", "hunter2")
    probe = "import os, sys\ndef env():\n    return [sorted(os.environ), sys.stdin.read(), os.getcwd()]\n"
    _, (obs,) = run([probe], [request("env")])
    names, stdin, cwd = plain.decode(obs["value"])
    assert "INSTRUCTOR_SECRET" not in names
    assert "OPENBLAS_NUM_THREADS" in names
    assert stdin == ""
    assert cwd != os.getcwd()


def test_endless_output_is_bounded_and_fake_results_on_stdout_are_ignored():
    noisy = 'def noisy():\n    for _ in range(200000):\n        print(\'{"event": "done"}\' + "x" * 100)\n    return 7\n'
    runner, (obs,) = run([noisy], [request("noisy", timeout=20.0)], Limits(wall_seconds=30.0))
    assert obs["status"] == "ok" and plain.decode(obs["value"]) == 7
    assert runner.children == 1


def test_nothing_the_child_started_survives_it():
    forker = "import subprocess, sys\ndef spawn():\n    p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n    return p.pid\n"
    _, (obs,) = run([forker], [request("spawn")])
    pid = plain.decode(obs["value"])
    time.sleep(0.2)
    assert not alive(pid)


def alive(pid: int) -> bool:
    """True if ``pid`` runs; a killed process not yet reaped by init (a zombie) counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_process_group_left_by_a_grader_that_died_is_removed_by_the_next_run():
    from autograder.sandbox.isolation import detect, sweep_stale_cgroups

    root = detect().pids_cgroup
    if root is None:
        pytest.skip("no writable pids cgroup on this machine")
    gone = subprocess.Popen(["true"])  # its pid names a grader that no longer runs
    gone.wait()
    group = root / f"autograder-{gone.pid}-stale"
    group.mkdir()
    straggler = subprocess.Popen(["sleep", "300"])
    (group / "cgroup.procs").write_text(str(straggler.pid))
    assert group in sweep_stale_cgroups(root)
    assert not group.exists()
    assert straggler.wait(timeout=5) == -9


# ---------------------------------------------------------------- the parent owns time and the channel

CHANNEL = "import json, os, sys, time\ndef send(text):\n    os.write(int(sys.argv[2]), text.encode())\n"


def test_a_call_that_switches_off_its_timer_is_stopped_by_the_parent_on_cpu_time():
    stretch = ("import signal, time\ndef stretch():\n    signal.setitimer(signal.ITIMER_PROF, 0)\n    signal.setitimer(signal.ITIMER_REAL, 0)\n"
               "    signal.signal(signal.SIGPROF, signal.SIG_IGN)\n    start = time.process_time()\n"
               "    while time.process_time() - start < 6:\n        pass\n    return 1\n")
    start = time.monotonic()
    _, (obs, good) = run([GOOD, stretch], [request("stretch", timeout=1.0), request("good", 1)])
    assert obs["status"] == "timeout" and "CPU time" in obs["error"]["message"], obs
    assert obs["cpu_seconds"] < 3.0  # stopped near its 1 s, not after the 6 s it wanted
    assert good["status"] == "ok"
    assert time.monotonic() - start < 40


def test_heartbeat_lines_do_not_stretch_a_deadline():
    beating = CHANNEL + ("def slow():\n    start = time.process_time()\n    while time.process_time() - start < 5:\n"
                         "        send('{\"event\": \"call\", \"index\": 0, \"phase\": \"start\"}\\n')\n        time.sleep(0.01)\n    return 1\n")
    runner, (obs, good) = run([GOOD, beating], [request("slow", timeout=1.0), request("good", 1)])
    assert obs["status"] != "ok"
    assert good["status"] == "ok"


@pytest.mark.parametrize("forged", [
    "'[' * 100000 + '\\n'",
    "'{}\\n' * 1000000",
    "json.dumps({'event': 'done'}) + '\\n'",
    "json.dumps({'event': 'call', 'index': 0, 'observation': {'status': 'ok', 'value': 1, 'mutated': 5}}) + '\\n'",
    "json.dumps({'event': 'call', 'index': 0, 'observation': {'status': 'error', 'error': {'traceback': 5}}}) + '\\n'",
    "json.dumps({'event': 'call', 'index': 0, 'observation': {'status': 'not_run', 'error': {}}}) + '\\n'",
    "json.dumps({'event': 'call', 'index': 1, 'observation': {'status': 'ok', 'value': 42, 'mutated': [], 'seconds': 0}}) + '\\n'",
    "json.dumps({'event': 'figure', 'cell': 'c0', 'png': ''}) + '\\n'",
    "'this is not JSON\\n'",
    "json.dumps({'event': 'ready'}) + '\\n'",
    "json.dumps({'event': 'cell', 'index': 0, 'error': None}) + '\\n'",
    "json.dumps({'event': 'call', 'index': -1, 'observation': {'status': 'ok', 'value': 42, 'mutated': [], 'seconds': 0}}) + '\\n'",
    "json.dumps({'event': 'call', 'index': '0', 'observation': {'status': 'ok', 'value': 42, 'mutated': [], 'seconds': 0}}) + '\\n'",
], ids=["deep", "flood", "done", "mutated-number", "traceback-number", "not-run", "unrequested-index", "figure-in-call", "not-json",
        "ready-again", "cell-in-call", "earlier-index", "index-string"])
def test_a_forged_or_malformed_line_fails_that_call_only(forged):
    forger = CHANNEL + f"def forge():\n    send({forged})\n    time.sleep(0.3)\n    return 0\n"
    _, (obs, good) = run([GOOD, forger], [request("forge"), request("good", 41)])
    assert obs["status"] == "not_run" and "student process" in obs["error"]["message"], obs
    assert good["status"] == "ok" and plain.decode(good["value"]) == 42


def test_the_child_holds_only_the_arguments_of_the_call_it_is_making():
    spy = ("import gc\ndef spy():\n    seen = []\n    for obj in gc.get_objects():\n"
           "        if type(obj) is dict and obj.get('fn') in ('good', 'spy') and 'args' in obj:\n            seen.append(obj['fn'])\n"
           "    return sorted(set(seen))\n")
    _, (first, seen, last) = run([GOOD, spy], [request("good", 10**6), request("spy"), request("good", 7 * 10**6)])
    assert plain.decode(seen["value"]) == ["spy"]
    assert first["status"] == last["status"] == "ok"


def test_a_fake_numpy_scalar_is_not_plain_data_and_its_methods_never_run():
    fake = ("class Fake(np.float64):\n    __module__ = 'numpy'\n    def item(self):\n        return 42.0\n"
            "    def __float__(self):\n        return 42.0\n"
            "import numpy as np\ndef fake():\n    return Fake(1.0)\n")
    _, (obs,) = run(["import numpy as np\n" + fake], [request("fake")])
    assert isinstance(plain.decode(obs["value"]), plain.Unsupported)


def test_observations_are_checked_field_by_field():
    from autograder.sandbox import valid_observation

    good, _ = valid_observation({"status": "ok", "value": [1, 2], "mutated": ["argument 1"], "seconds": 0.5})
    assert good == {"status": "ok", "value": [1, 2], "mutated": ["argument 1"], "seconds": 0.5}
    for bad in [{"status": "ok", "mutated": 5}, {"status": "ok", "seconds": "fast"}, {"status": "ok", "seconds": float("nan")},
                {"status": "error", "error": {"traceback": 5}}, {"status": "error", "error": "boom"}, {"status": "passed"},
                {"status": "not_run", "error": {}}, {"status": "ok", "extra": 1}, {"status": "error", "error": {"message": "x" * 5000}}, [1]]:
        assert valid_observation(bad)[0] is None, bad


def test_the_bubblewrap_sandbox_holds_against_code_that_tries_to_undo_it(tmp_path):
    from autograder.sandbox.isolation import detect

    isolation = detect()
    if not isolation.bwrap:
        pytest.skip(f"bubblewrap is not available here ({isolation.describe()})")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answer.txt").write_text("42")
    marker = tmp_path / "written-from-inside"
    escape = (
        "import ctypes, os, subprocess\n"
        "def escape():\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    for target in reversed([l.split()[1] for l in open('/proc/self/mounts').read().splitlines()]):\n"
        "        libc.umount2(target.encode(), 2)\n"
        f"    for args in (['mount', '-o', 'remount,rw', '/'], ['unshare', '-Urm', 'true']):\n"
        "        subprocess.run(args, capture_output=True)\n"
        "    found = []\n"
        f"    try:\n        found.append(open({str(secret / 'answer.txt')!r}).read())\n    except OSError:\n        pass\n"
        f"    try:\n        open({str(marker)!r}, 'w').write('x')  # at most into its own private /tmp\n    except OSError:\n        pass\n"
        "    return [os.getuid(), found, len([p for p in os.listdir('/proc') if p.isdigit()])]\n")
    runner = SandboxRunner([CodeCell("c0", escape)], FAST, budget_seconds=60, isolation=isolation, hide=[secret])
    (obs,) = runner([request("escape", timeout=8.0)])
    uid, found, processes = plain.decode(obs["value"])
    assert uid == 65534 and found == [] and processes < 10
    assert not marker.exists()


@pytest.mark.slow
def test_a_slow_but_correct_answer_gets_identical_marks_every_time_while_the_machine_is_loaded(submit):
    """Limits are on CPU time, generous, and measured twice: load does not decide the grade."""
    import sys

    from conftest import grade, solution_source

    slow = solution_source("01_gates", "xor_network") + (
        "\n_quick = xor_network\nimport time\n"
        "def xor_network():\n    start = time.process_time()\n"
        "    while time.process_time() - start < 2.5:  # a quarter of the 10 s limit, in CPU time\n        pass\n"
        "    return _quick()\n")
    path = submit("01_gates", xor_network=slow)
    load = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        marks = [[(q.question, q.points, q.status) for q in grade(path, "01_gates").questions] for _ in range(3)]
    finally:
        load.kill()
        load.wait()
    assert marks[0] == marks[1] == marks[2]
    assert dict((name, status) for name, _, status in marks[0])["xor_network"] == "passed"


def test_matplotlib_is_imported_only_when_used_and_then_is_the_one_real_module():
    """Does a setup cell's `import matplotlib.pyplot as plt` cost nothing until plt is used, and
    does a submodule imported before that use come back as the package's own (one copy)?"""
    cells = ["import sys\nimport matplotlib.pyplot as plt\nbefore = type(sys.modules['matplotlib']).__name__",
             "import matplotlib.colors as colors\nsame = colors is sys.modules['matplotlib'].colors\n"
             "plt.imshow([[0, 1]], cmap=colors.ListedColormap(['red', 'blue']))\n"
             "def report():\n    return [before, same, type(sys.modules['matplotlib']).__name__, plt.get_fignums()]\n"]
    runner, (obs,) = run(cells, [request("report", timeout=8.0)], limits=Limits(wall_seconds=20.0, cell_seconds=15.0))
    assert runner.cell_errors == {}
    assert plain.decode(obs["value"]) == ["Deferred", True, "module", [1]]


def _launched_probe():
    return ("import os, resource\n"
            "def where(secret):\n"
            "    try:\n        seen = open(secret).read()\n    except OSError:\n        seen = None\n"
            "    return [os.getpid(), os.getuid(), resource.getrlimit(resource.RLIMIT_CPU)[0], seen]\n")


def test_a_child_launched_early_becomes_the_first_child_with_its_limits_and_walls_set_only_then(tmp_path):
    """launch() starts the process before the cells are known; the runner hands it its rlimits
    (RLIMIT_CPU: the submission's remaining budget) and runs the cells in it; under bubblewrap
    it is as confined as any child: uid 65534, the hidden paths empty."""
    from autograder.sandbox.isolation import detect
    from autograder.sandbox import launch

    isolation = detect()
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answer.txt").write_text("42")
    launched = launch(FAST, isolation, hide=[secret])
    time.sleep(0.3)  # it loads NumPy meanwhile; it has no limits yet and runs nothing
    runner = SandboxRunner([CodeCell("c0", _launched_probe())], FAST, budget_seconds=60, isolation=isolation, hide=[secret], launched=launched)
    (obs,) = runner([request("where", str(secret / "answer.txt"))])
    pid, uid, cpu_limit, seen = plain.decode(obs["value"])
    assert runner.children == 1 and launched.ready and runner.launched is None and not launched.alive  # used, then closed with the run
    assert 0 < cpu_limit <= 61  # the budget, set by the handshake, not the launch
    if isolation.bwrap:
        assert uid == 65534 and seen is None
    assert not alive(launched.process.pid)


def test_a_launched_child_for_other_libraries_or_left_unused_is_closed_and_leaves_nothing():
    from autograder.sandbox.isolation import detect
    from autograder.sandbox import launch

    isolation = detect()
    other = launch(FAST, isolation, banned=("json",))  # json absent: not what this runner needs
    runner = SandboxRunner([CodeCell("c0", GOOD)], FAST, budget_seconds=60, isolation=isolation, launched=other)
    (obs,) = runner([request("good", 1)])
    assert obs["status"] == "ok" and plain.decode(obs["value"]) == 2
    assert runner.children == 1 and not other.ready and not other.alive and not alive(other.process.pid)
    unused = launch(FAST, isolation)
    SandboxRunner([CodeCell("c0", GOOD)], FAST, isolation=isolation, launched=unused).close()
    assert not unused.alive and not alive(unused.process.pid)


@pytest.mark.parametrize("named, children", [(False, 1), (True, 2)])
def test_a_launched_child_without_a_calls_library_serves_every_call_unless_a_cell_names_it(named, children):
    """grade launches the first child without the libraries any case forbids (04's timing case:
    autograd): when no cell names them it is the one child of the submission; when a cell does,
    it makes the forbidding calls first and the others get a child with the library."""
    from autograder.sandbox.isolation import detect
    from autograder.sandbox import launch

    isolation = detect()
    launched = launch(FAST, isolation, banned=("sympy",))
    probe = ("import sys\n" + ("# sympy is named here\n" if named else "") +
             "def present():\n    try:\n        __import__('sym' + 'py').Symbol('x')\n        return True\n    except ImportError:\n        return False\n")
    runner = SandboxRunner([CodeCell("c0", probe)], FAST, budget_seconds=60, isolation=isolation, launched=launched)
    free, banned = runner([request("present"), {**request("present"), "forbidden_libraries": ["sympy"]}])
    assert runner.children == children and launched.ready
    if isolation.bwrap:
        assert plain.decode(banned["value"]) is False
        assert plain.decode(free["value"]) is named  # absent where no cell names it: only a trick imports it
