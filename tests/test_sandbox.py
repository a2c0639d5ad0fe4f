"""Does student code that loops, crashes, exits or floods cost only its own answers?"""

import os
import subprocess
import time

import numpy as np
import pytest

from autograder import plain
from autograder.notebook import CodeCell
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


def test_a_top_level_exit_in_a_cell_does_not_stop_later_cells():
    runner, (obs,) = run(["import sys\nsys.exit(0)\n", GOOD], [request("good", 1)])
    assert obs["status"] == "ok"
    assert runner.cell_errors["c0"]["type"] == "SystemExit"


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
    from autograder.isolation import detect, sweep_stale_cgroups

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
