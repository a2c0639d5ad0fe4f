"""Kernel isolation of the student's process, where the machine allows it.

On Linux, `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``, the sandbox
Flatpak relies on) starts the child in new namespaces of every kind:

* user: the child runs as uid 65534 ("nobody") with every capability dropped, and may not
  create further user namespaces (``--disable-userns``); the mounts below were made outside
  its namespace, so the kernel locks them: it cannot unmount, remount or cover them, whether
  the grader runs as root or not;
* network: only a loopback interface, which is down — no connections anywhere;
* PID: its ``/proc`` shows only its own processes, and when it ends (or is killed) every
  process it started ends too, double-forked daemons included;
* mount: the whole file system is bound read-only, ``/tmp`` and ``/dev/shm`` are small private
  tmpfs, the working directory is a private tmpfs, and the instructor's paths —
  ``solutions/``, the gradebook, other students' submissions, the results — are covered
  by empty read-only mounts;
* IPC, UTS and cgroup namespaces of its own; a new session (no terminal to inject into).

Where ``bwrap`` is missing or does not work, ``unshare`` does the same set-up from a shell run
as root of a user namespace; that shell's child keeps the capabilities that made the mounts,
so student code *can* undo them: this is reported loudly as a missing protection (and
refused by ``grade --require-isolation``). Where a pids cgroup is writable the child's
number of processes is capped too (a fork bomb stops at the cap). What could be set up is
detected once and described, so the grade report can say what protected the run;
:func:`detect` never fails, it reports what is missing.
"""

from __future__ import annotations

import atexit
import functools
import os
import shlex
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .bans import STUB

__all__ = ["Isolation", "detect", "Confinement", "instructor_paths", "sweep_stale_cgroups"]

# What a student process needs from the course directory; everything else there is hidden.
NEEDED_IN_COURSE = {"autograder", "datasets", "assignments"}

PIDS_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


@dataclass(frozen=True)
class Isolation:
    """What this machine lets the grader do to confine a child."""

    unshare: str | None = None
    """Path of the ``unshare`` program, when namespaces work through it (the weaker fallback)."""
    user_namespace: bool = False
    """Whether a user namespace is needed (not running as root)."""
    pids_cgroup: Path | None = None
    """A writable pids cgroup under which each child gets its own group."""
    problems: tuple[str, ...] = field(default=())
    """Why a protection is unavailable."""
    bwrap: str | None = None
    """Path of bubblewrap, when it works here: walls that hold against student code."""

    @property
    def namespaces(self) -> bool:
        return self.bwrap is not None or self.unshare is not None

    @property
    def library_bans(self) -> str:
        """What keeps an assignment's forbidden libraries out of the student's process here."""
        if self.bwrap:
            return "absent from the student's file system (bubblewrap), and the submitted source scanned for imports of them"
        if self.unshare:
            return ("covered in the student's file system by the unshare fallback, which student code can undo, "
                    "and the submitted source scanned for imports of them")
        return "NOT enforced by the sandbox (no namespaces): only the submitted source is scanned for imports of them"

    def describe(self) -> str:
        """One line for the grade report."""
        parts = ["rlimits (CPU, memory, file size, open files)", "CPU-time and wall-clock limits enforced by the grader"]
        if self.bwrap:
            parts.insert(0, "bubblewrap (uid 65534 with no capabilities, locked read-only mounts, no network, own PIDs, "
                            "private tmpfs, instructor files hidden)")
        elif self.unshare:
            parts.insert(0, "namespaces through unshare (no network, own PIDs, read-only files, private tmpfs, instructor files hidden)")
        if self.pids_cgroup:
            parts.append("process count cap (pids cgroup)")
        parts.append(f"libraries an assignment forbids: {self.library_bans}")
        text = "; ".join(parts)
        return text if not self.problems else f"{text}. NOT available: {'; '.join(self.problems)}"


def _works(command: Sequence[str]) -> tuple[bool, str]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return done.returncode == 0, (done.stderr or done.stdout).strip()[:200]


def _pids_cgroup() -> Path | None:
    for root in PIDS_CGROUP_ROOTS:
        if (root / "cgroup.procs").is_file() and os.access(root, os.W_OK):
            probe = root / f"autograder-probe-{os.getpid()}"
            try:
                probe.mkdir()
                ok = (probe / "pids.max").is_file()
                probe.rmdir()
            except OSError:
                continue
            if ok:
                return root
    return None


CGROUP_REMOVAL_SECONDS = 10.0


def _remove_cgroup(group: Path, seconds: float) -> bool:
    """SIGKILL every process in ``group`` until it is empty, then remove it; True when gone."""
    deadline = time.monotonic() + seconds
    pause = 0.005
    while True:
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except OSError:
            pids = []
        for pid in pids:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        try:
            group.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(pause)
            pause = min(2 * pause, 0.2)


_left_behind: set[Path] = set()


def _retry_at_exit(group: Path) -> None:
    if not _left_behind:
        atexit.register(_remove_left_behind)
    _left_behind.add(group)


def _remove_left_behind() -> None:
    for group in list(_left_behind):
        _remove_cgroup(group, CGROUP_REMOVAL_SECONDS)


def sweep_stale_cgroups(root: Path) -> list[Path]:
    """Remove the groups under ``root`` that a grader process which no longer runs left
    behind (``autograder-<pid>-<id>``); return those removed."""
    removed = []
    for group in root.glob("autograder-*-*"):
        owner = group.name.split("-")[1]
        if not owner.isdigit() or _alive(int(owner)):
            continue
        if _remove_cgroup(group, 1.0):
            removed.append(group)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@functools.cache
def detect() -> Isolation:
    """Find out once per process which protections work on this machine."""
    problems = []
    bwrap, unshare = shutil.which("bwrap"), None
    user_ns = os.geteuid() != 0
    if bwrap is not None:
        with tempfile.TemporaryDirectory(prefix="autograder-probe-") as workspace:
            ok, why = _works(_bwrap_flags(bwrap, workspace, [], 2**20) + ["--", "true"])
        if not ok:
            problems.append(f"walls that hold against student code: bubblewrap failed here ({why or 'user namespaces disabled?'})")
            bwrap = None
    else:
        problems.append("walls that hold against student code: bubblewrap is not installed (Debian: apt-get install bubblewrap); "
                        "student code can undo the unshare fallback's read-only mounts and covers")
    if bwrap is None:
        unshare = shutil.which("unshare")
        if unshare is None:
            problems.append("namespaces: the `unshare` program is not installed")
        else:
            ok, why = _works([unshare, *_namespace_flags(user_ns), "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt 2>/dev/null || mount -t tmpfs -o size=1m tmpfs /tmp"])
            if not ok:
                problems.append(f"namespaces: unshare failed ({why or 'unprivileged user namespaces are disabled?'})")
                unshare = None
    cgroup = _pids_cgroup()
    if cgroup is None:
        problems.append("process count cap: no writable pids cgroup (fork bombs are stopped only by the time limit)")
    else:
        sweep_stale_cgroups(cgroup)
    return Isolation(unshare, user_ns, cgroup, tuple(problems), bwrap)


def instructor_paths(root: Path, *extra: Path) -> list[Path]:
    """Paths a student process must not see: the course directory's contents except what
    the kit needs to run (its package, data and released notebooks, and the Python
    environment if it lives there), plus ``extra`` (submissions, results)."""
    import sys

    # the Python environment the child runs: its prefix and every site-packages folder on the path
    environment = [Path(sys.prefix).resolve()] + [Path(p).resolve() for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    checkout = Path(__file__).resolve().parents[2]  # the kit's own repository, in a development install
    roots = {Path(root).resolve()} | ({checkout} if (checkout / "solutions").is_dir() else set())
    hidden = [p for r in sorted(roots) for p in r.iterdir()
              if p.name not in NEEDED_IN_COURSE and not any(p == e or p in e.parents for e in environment)]
    return hidden + [Path(p).resolve() for p in extra]


SANDBOX_UID = 65534
"""The child's uid and gid inside its user namespace ("nobody")."""


def _bwrap_flags(bwrap: str, workspace: str, hidden: Sequence[str], tmpfs_bytes: int, libraries: Sequence[str] = ()) -> list[str]:
    """bubblewrap's arguments: everything read-only, private tmpfs, ``hidden`` covered, no capabilities.

    ``/tmp`` stays visible, read-only: a course, a kit or a virtual environment may live there, and
    what must not be seen there is in ``hidden`` like anywhere else. Each folder of ``libraries``
    (forbidden packages) is covered too, with :data:`autograder.sandbox.bans.STUB` as its only file, its
    ``__init__.py``: using anything imported from the package raises the stub's ``ImportError``."""
    flags = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
             "--die-with-parent", "--new-session", "--cap-drop", "ALL",
             "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
             "--size", str(2**20), "--tmpfs", "/dev/shm",
             "--size", str(tmpfs_bytes), "--tmpfs", workspace]
    for path in hidden:
        if os.path.isdir(path):
            flags += ["--size", "4096", "--tmpfs", path, "--remount-ro", path]
        elif os.path.lexists(path):
            flags += ["--ro-bind", "/dev/null", path]
    for path in libraries:
        if os.path.isdir(path):
            flags += ["--size", "4096", "--tmpfs", path, "--ro-bind", str(STUB), os.path.join(path, "__init__.py"), "--remount-ro", path]
        elif os.path.lexists(path):
            flags += ["--ro-bind", str(STUB), path]
    return flags + ["--chdir", workspace]


def _namespace_flags(user_ns: bool) -> list[str]:
    flags = ["--net", "--pid", "--fork", "--mount", "--mount-proc", "--kill-child"]
    return (["--user", "--map-root-user"] if user_ns else []) + flags


_SETUP = r"""
set -e
if [ -n "$AG_CGROUP" ]; then echo 0 > "$AG_CGROUP/cgroup.procs"; fi
awk '{print $2}' /proc/self/mounts | while read -r m; do
  case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) ;; *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac
done
mount -t tmpfs -o "size=$AG_TMPFS,mode=0777" tmpfs "$AG_WORKSPACE"
mount -t tmpfs -o "size=1m,mode=1777" tmpfs /dev/shm 2>/dev/null || true
for p in "$@"; do
  [ "$p" = "--" ] && break
  if [ -d "$p" ]; then mount -t tmpfs -o ro,size=4k tmpfs "$p"; elif [ -e "$p" ]; then mount --bind /dev/null "$p"; fi
done
while [ "$1" != "--" ]; do shift; done; shift
cd "$AG_WORKSPACE"
exec "$@"
"""


class Confinement:
    """Wraps one child's command in the available protections and cleans up after it.

    Args:
        isolation: what the machine allows (from :func:`detect`).
        workspace: the child's working directory (becomes a private tmpfs).
        hidden: paths to cover (instructor files); missing ones are ignored.
        max_processes: the pids cgroup cap, when a cgroup is available.
        tmpfs_bytes: size of the child's writable tmpfs.
        libraries: install folders and files of forbidden libraries (see :func:`autograder.sandbox.bans.library_paths`),
            made absent like ``hidden`` (under bubblewrap, behind a stub: nothing imported from them works).
    """

    def __init__(self, isolation: Isolation, workspace: Path, hidden: Sequence[Path] = (), max_processes: int = 64, tmpfs_bytes: int = 64 * 2**20,
                 libraries: Sequence[Path] = ()):
        self.isolation = isolation
        self.workspace = workspace
        self.hidden = [str(Path(p).resolve()) for p in hidden]
        self.libraries = [str(Path(p).resolve()) for p in libraries]
        self.tmpfs_bytes = tmpfs_bytes
        self.cgroup: Path | None = None
        if isolation.pids_cgroup is not None:
            self.cgroup = isolation.pids_cgroup / f"autograder-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            try:
                self.cgroup.mkdir()
                (self.cgroup / "pids.max").write_text(str(max_processes))
            except OSError:
                self.cgroup = None

    def command(self, command: Sequence[str]) -> list[str]:
        """``command`` run inside the namespaces (unchanged where there are none)."""
        if self.isolation.bwrap:
            enter = ["sh", "-c", 'if [ -n "$AG_CGROUP" ]; then echo $$ > "$AG_CGROUP/cgroup.procs"; fi; exec "$@"', "sh"]
            return [*enter, *_bwrap_flags(self.isolation.bwrap, str(self.workspace), self.hidden, self.tmpfs_bytes, self.libraries), "--", *command]
        if not self.isolation.namespaces:
            return list(command)
        return [self.isolation.unshare, *_namespace_flags(self.isolation.user_namespace), "sh", "-c", _SETUP, "sh", *self.hidden, *self.libraries, "--", *command]

    def environment(self) -> dict[str, str]:
        return {"AG_WORKSPACE": str(self.workspace), "AG_TMPFS": str(self.tmpfs_bytes), "AG_CGROUP": str(self.cgroup or "")}

    def close(self) -> None:
        """Kill whatever is left in the cgroup and remove it.

        Killed processes can take a moment to leave the group on a loaded machine, so this
        waits up to ``CGROUP_REMOVAL_SECONDS``; a group that still will not go is retried at
        exit and, failing that, removed by the next run's :func:`sweep_stale_cgroups`.
        """
        if self.cgroup is not None and not _remove_cgroup(self.cgroup, CGROUP_REMOVAL_SECONDS):
            _retry_at_exit(self.cgroup)

    def __repr__(self) -> str:
        return f"Confinement({shlex.join(self.command(['...']))[:80]}...)"
