"""Mutation calibration: how many wrong variants of the reference the checks catch, and name.

    python benchmarks/bench_mutation.py [--assignments 05_softmax ...] [--sample N] [--jobs 2]
                                        [--seed 0] [--json out.json]

Generates every mutant of every answer cell of the solution notebooks (see
:mod:`autograder.mutation.operators`), grades each with the questions' own visible and
hidden cases (:mod:`autograder.mutation.calibrate`), and prints per assignment: mutants
generated, equivalent (not scored), caught and how (wrong value, error, timeout), the
mutation score caught / (caught + survivors), the share of caught mutants whose failure
names a catalogued mistake (of all caught, and of those that returned a wrong value rather
than raising or running out of time), then every survivor with its place and operator.
``--sample N`` grades N mutants per assignment drawn at random (``--seed``).

Nothing is asserted: this prints measurements (the goal is a score of at least 98% on every
assignment, and at least 90% of the caught named).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import course  # noqa: E402
from autograder.mutation import generate, run, summarise  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignments", nargs="*", default=list(course.assignments()))
    parser.add_argument("--sample", type=int, default=None, help="mutants per assignment, drawn at random (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="write every outcome here")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that the run's children are ended too

    mutants = []
    for name in args.assignments:
        generated = generate(course.get_assignment(name), ROOT)
        if args.sample is not None and args.sample < len(generated):
            generated = random.Random(args.seed).sample(generated, args.sample)
        mutants += generated
    print(f"{len(mutants)} mutants of {len(args.assignments)} assignments, {args.jobs} at a time", flush=True)
    start = time.perf_counter()
    done = [0]

    def progress(outcome):
        done[0] += 1
        if done[0] % 50 == 0:
            print(f"  {done[0]}/{len(mutants)} in {time.perf_counter() - start:.0f} s", flush=True)

    outcomes = run(mutants, ROOT, jobs=args.jobs, progress=progress)
    seconds = time.perf_counter() - start
    summaries = summarise(outcomes)

    header = f"{'assignment':18} {'mutants':>7} {'equiv':>5} {'caught':>6} {'wrong':>5} {'error':>5} {'time':>4} {'surv':>4} {'score':>6} {'named':>6} {'of wrong':>8} {'of errors':>9}"
    print("\n" + header + "\n" + "-" * len(header))
    for s in summaries.values():
        wrong = s.statuses["failed"]
        timed = s.statuses["timeout"] + s.statuses["killed"]
        print(f"{s.assignment:18} {s.generated:7} {s.equivalent:5} {s.caught:6} {wrong:5} {s.caught - wrong - timed:5} {timed:4} "
              f"{len(s.survivors):4} {s.score:6.1%} {s.named_share:6.1%} {s.named_wrong_share:8.1%} {s.named_error_share:9.1%}")
    print(f"\n{len(outcomes)} mutants graded in {seconds:.0f} s")
    for s in summaries.values():
        for o in s.survivors:
            m = o.mutant
            print(f"survivor {m.key}: {o.detail}")
    if args.json:
        args.json.write_text(json.dumps([{**asdict(o), "named": o.named} for o in outcomes], indent=1))


if __name__ == "__main__":
    main()
