"""The student's process: ``python -I -m autograder.child JOB_FD RESULT_FD``.

Started by :mod:`autograder.sandbox` with a minimal environment, stdin from
/dev/null and its own process group. It applies its resource limits, runs the
student's cells, performs the requested calls through :mod:`autograder.probes`, and
writes one JSON line per event to the result pipe:

    {"event": "cell", "index": i, "phase": "start"}
    {"event": "cell", "index": i, "phase": "end", "error": {...} | null}
    {"event": "call", "index": j, "phase": "start"}
    {"event": "call", "index": j, "phase": "end", "observation": {...}}
    {"event": "figure", "cell": label, "png": base64} | {"event": "figure", "cell": label, "error": "..."}
    {"event": "done"}

Figures are sent only when the job asks for them (``figures_from``: the index of the
first cell whose figures are wanted); each is drawn to PNG here, so only bytes go back.

A "start" without its "end" tells the parent where the process died, so that the
next attempt can skip that cell or call. Nothing here compares or grades.
"""

from __future__ import annotations

import builtins
import importlib.util
import json
import linecache
import os
import resource
import sys

from . import probes


def apply_limits(limits: dict) -> None:
    """Set rlimits: CPU seconds, address space, file size, open files."""
    for name, value in (("RLIMIT_CPU", limits.get("cpu_seconds")), ("RLIMIT_AS", limits.get("memory_bytes")),
                        ("RLIMIT_FSIZE", limits.get("file_bytes")), ("RLIMIT_NOFILE", limits.get("open_files")),
                        ("RLIMIT_CORE", 0)):
        if value is not None:
            resource.setrlimit(getattr(resource, name), (value, value))


# Imported by notebooks' setup cells for plotting, which grading never needs: loaded on first use.
LAZY_MODULES = ("matplotlib.pyplot",)


def import_lazily(name: str) -> None:
    """Register ``name`` so that importing it is free until an attribute is used."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


def run_cell(label: str, source: str, namespace: dict, timeout: float) -> dict | None:
    """Execute one cell; return None on success or a plain description of its error."""
    filename = f"<cell {label}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    previous = probes.start_timer(timeout, f"the cell took longer than {timeout:g} s")
    try:
        exec(compile(source, filename, "exec"), namespace)
    except BaseException as exc:  # SystemExit, timeouts and everything a student can raise
        probes.stop_timer(previous)
        return {"type": type(exc).__name__, "message": str(exc)[:1000], "traceback": probes.student_traceback(exc)}
    probes.stop_timer(previous)
    return None


MAX_FIGURES = 16
MAX_FIGURE_BYTES = 2 * 2**20


def drawn_figures(label: str, room: int) -> list[dict]:
    """The open matplotlib figures as figure events (at most ``room``), then close them all."""
    import base64
    import io

    import matplotlib.pyplot as plt

    events = []
    for number in plt.get_fignums()[:room]:
        buffer = io.BytesIO()
        try:
            plt.figure(number).savefig(buffer, format="png", dpi=72, bbox_inches="tight")
        except Exception as exc:  # a figure the student's values make impossible to draw
            events.append({"event": "figure", "cell": label, "error": f"{type(exc).__name__}: {str(exc)[:300]}"})
            continue
        if buffer.tell() > MAX_FIGURE_BYTES:
            events.append({"event": "figure", "cell": label, "error": f"the figure's PNG is larger than {MAX_FIGURE_BYTES >> 20} MiB"})
        else:
            events.append({"event": "figure", "cell": label, "png": base64.b64encode(buffer.getvalue()).decode("ascii")})
    plt.close("all")
    return events


def main(job_fd: int, result_fd: int) -> None:
    with os.fdopen(job_fd) as handle:
        job = json.load(handle)
    channel = os.fdopen(result_fd, "w", buffering=1)

    def emit(event: dict) -> None:
        channel.write(json.dumps(event, separators=(",", ":")) + "\n")
        channel.flush()

    apply_limits(job.get("limits", {}))
    for name in LAZY_MODULES:
        import_lazily(name)
    builtins.input = lambda *args: (_ for _ in ()).throw(EOFError("input() is not available while grading"))
    namespace: dict = {"__name__": "__main__", "display": lambda *args, **kwargs: None}
    figures_from, figures_sent = job.get("figures_from"), 0
    for index, cell in enumerate(job["cells"]):
        emit({"event": "cell", "index": index, "phase": "start"})
        error = run_cell(cell["label"], cell["source"], namespace, job.get("cell_timeout", 20))
        emit({"event": "cell", "index": index, "phase": "end", "error": error})
        if figures_from is not None and index >= figures_from:
            for event in drawn_figures(cell["label"], MAX_FIGURES - figures_sent):
                emit(event)
                figures_sent += "png" in event
    stuck: set[str] = set()  # functions that already ran out of time: each further call would too
    for index, request in enumerate(job["calls"]):
        if request["fn"] in stuck:
            observation = {"status": "timeout", "error": {"message": "skipped: an earlier call did not finish in time"}}
        else:
            emit({"event": "call", "index": index, "phase": "start"})
            observation = probes.run_call(namespace, request, enforce_timeout=True)
            if observation["status"] == "timeout":
                stuck.add(request["fn"])
        emit({"event": "call", "index": index, "phase": "end", "observation": observation})
    emit({"event": "done"})
    channel.close()
    os._exit(0)  # skip interpreter teardown: student objects' __del__ and atexit hooks do not run


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
