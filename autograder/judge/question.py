"""How a graded question is declared: once, and run everywhere from that one place.

A question names the student function(s) it exercises, its points, and a *case
generator*: a function of a NumPy random generator and a ``hidden`` flag that yields
:class:`Case` objects. Each case says which student function to call with which
plain-data arguments, and how to judge what comes back: an
:class:`~autograder.judge.expectation.Expect` (the expected value, its oracle, the comparison and
the catalogued mistakes, as data), or for a property or a training run a ``check`` callable that
raises :class:`~autograder.judge.compare.Mismatch`. The same declaration is used by the
``check(...)`` cells in a notebook, by ``autograder check`` and by ``autograder grade``.

Visible cases (``hidden=False``) are generated from a fixed seed and may only use
oracles a student may see: properties, autograd, SymPy. Hidden cases
(``hidden=True``) are generated from a seed drawn at grading time and may also ask
``oracles.reference`` — the reference solution read from the solution notebook.

Example::

    GATES = Assignment("01_gates", "gates.ipynb", "A neuron computes logic")

    @GATES.question(points=1, functions=("step",))
    def step(rng, hidden):
        z = rng.normal(size=(3, 4))
        yield Case("step on a 3x4 batch", "step", (z,), expect=Expect("step(z)", heaviside, reference="step",
                   mistakes=(Mistake("step_zero_is_one", lambda z: (z >= 0).astype(float)),)))
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple

import numpy as np

from .expectation import Expect
from .misconceptions import Misconception
from ..protocol import CALL_SECONDS, CallRequest

__all__ = ["Assignment", "Case", "DEPENDENCY_POLICIES", "MUTANTS_TABLE", "Mutant", "Oracles", "Question", "ReferenceUnavailable"]

MUTANTS_TABLE = "MUTANTS"
"""The name of the table of mutants in an assignment's ``mutants.py`` (see :meth:`Oracles.mutants`)."""

DEPENDENCY_POLICIES = {
    "charge": "scored on its own cases as usual; the feedback names the failed dependency first",
    "excuse": "the points it loses while a dependency fails are given back, up to what that dependency was charged itself",
}
"""What ``on_dependency_failure`` may say (see :func:`autograder.judge.engine.attribute`)."""


class ReferenceUnavailable(RuntimeError):
    """Raised when a check asks for the reference solution where it is not present."""


class Oracles:
    """What a case's ``check`` may compare against, in the grader process.

    Attributes:
        reveal: whether messages may show expected values (True for visible cases).
        cpu_seconds: the CPU time the call used. While grading, measured by the grader's
            process from outside the student's; in a notebook's ``check``, by the kit inside the
            student's own process (advice: nothing is at stake there); None where unmeasured.
    """

    def __init__(self, reference: Mapping[str, Any] | None, reveal: bool, cpu_seconds: float | None = None):
        self._reference = reference
        self.reveal = reveal
        self.cpu_seconds = cpu_seconds

    @property
    def has_reference(self) -> bool:
        return self._reference is not None

    @property
    def judges_by_reference(self) -> bool:
        """Whether expected values come from the reference: on hidden cases, where it is present."""
        return self.has_reference and not self.reveal

    def hidden_reference(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The reference's ``name(*args, **kwargs)`` where :attr:`judges_by_reference` (array
        arguments copied, so it cannot change the case's), else None."""
        if not self.judges_by_reference:
            return None
        return self.reference(name)(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs)

    def expected(self, name: str, definition: Callable[[], Any], *args: Any, **kwargs: Any) -> Any:
        """What ``name(*args, **kwargs)`` should return: the reference's result where
        :attr:`judges_by_reference`, else ``definition()`` (the question's own definition; only
        one of the two is computed)."""
        return self.hidden_reference(name, *args, **kwargs) if self.judges_by_reference else definition()

    def reference(self, name: str) -> Callable[..., Any]:
        """The reference implementation of ``name`` from the solution notebook."""
        if self._reference is None:
            raise ReferenceUnavailable(f"the reference for {name!r} is only available where solutions/ is present")
        if name not in self._reference:
            raise ReferenceUnavailable(f"the solution notebook defines no {name!r}")
        return self._reference[name]

    def mutants(self, name: str) -> list[Mutant]:
        """The instructor's variants of the reference's ``name``, each with one typical mistake; none
        where the reference is absent. They are the ``MUTANTS`` table (reference name -> a list of
        ``(implementation, misconception key, description)``) of ``solutions/<assignment>/mutants.py``,
        the one way a check reaches a mutant."""
        table = (self._reference or {}).get(MUTANTS_TABLE, {})
        return [Mutant(*entry) for entry in table.get(name, [])]


Check = Callable[[Any, Oracles], None]


class Mutant(NamedTuple):
    """A variant of a reference function with one typical mistake, to name a student's mistake by fingerprint."""

    implementation: Callable[..., Any]
    """Called like the reference function it varies (or as its question module documents)."""
    misconception: str
    """The key of the catalogue entry it produces."""
    description: str
    """What it computes, in a few words ("w + lr * g, a step uphill")."""


@dataclass(frozen=True)
class Case:
    """One call of a student function and how to judge its result.

    Attributes:
        label: what the student reads, e.g. ``"AND on the truth table"``.
        fn: the name of the student function to call.
        args: positional arguments, plain data (arrays, numbers, strings, lists).
        expect: the judgement as data (:class:`~autograder.judge.expectation.Expect`, or a tuple
            of them judged in order, one per part of a structured result): the expected value, its
            oracle, the comparison and the mistakes that explain wrong values.
        check: ``check(got, oracles)``, for what is not one value against one definition (a
            property, a training run); raises ``Mismatch`` when ``got`` is wrong. A case has
            exactly one of ``expect`` and ``check``: a case with neither would pass every answer,
            so it is refused when made.
        kwargs: keyword arguments, plain data.
        probe: the name of the routine in :mod:`autograder.student.probes` that performs the
            call inside the student's process; ``"call"`` calls ``fn(*args, **kwargs)``.
        timeout: seconds the call may take before it counts as an infinite loop.
        clauses: ids of the contract clauses (:meth:`Assignment.contract`) this case checks,
            besides those its question declares for all its cases.
        forbidden_libraries: libraries absent from the process that makes this call while
            grading (see :class:`autograder.sandbox.SandboxRunner`): for a measurement that
            another library could fake, such as a speed that autograd could provide in a
            patched probe.
        diagnostic: a case that can only take points away: it checks what every right answer
            obeys and some wrong ones do too (a law: :mod:`autograder.judge.laws`; a function
            returning 0 obeys "zero where A = Y"), so it counts among the cases only when it fails.
    """

    label: str
    fn: str
    args: tuple = ()
    check: Check | None = field(default=None, repr=False)
    expect: Expect | tuple[Expect, ...] | None = field(default=None, repr=False)
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    probe: str = "call"
    timeout: float = CALL_SECONDS
    clauses: tuple[str, ...] = ()
    forbidden_libraries: tuple[str, ...] = ()
    diagnostic: bool = False

    def __post_init__(self):
        if (self.expect is None) == (self.check is None) or self.check is not None and not callable(self.check):
            raise TypeError(f"the case {self.label!r} (calling {self.fn}) needs exactly one of expect= and a callable check=: "
                            "without one every answer would pass")

    def judge(self, got: Any, oracles: Oracles) -> None:
        """Raise ``Mismatch`` when ``got`` is not what this case's call should return."""
        if self.expect is not None:
            for expectation in (self.expect if isinstance(self.expect, tuple) else (self.expect,)):
                expectation.judge(self, got, oracles)
        else:
            self.check(got, oracles)

    def call(self) -> CallRequest:
        """The request sent to whatever runs the student's code (plain data)."""
        request = {"fn": self.fn, "args": list(self.args), "kwargs": dict(self.kwargs), "probe": self.probe, "timeout": self.timeout}
        return {**request, "forbidden_libraries": list(self.forbidden_libraries)} if self.forbidden_libraries else request


CaseGenerator = Callable[[np.random.Generator, bool], Iterable[Case]]


@dataclass(frozen=True)
class Question:
    """A graded question.

    Attributes:
        name: identifier used in ``check(name)``, in grade tables and feedback.
        title: one line for the student.
        points: the points it is worth.
        functions: the student functions it exercises, in the order they are defined.
        generate: the case generator, ``generate(rng, hidden)``; None for manual questions.
        manual: graded by a person (a written answer), never automatically.
        misconceptions: its assignment's catalogue (shared, so entries declared later are
            seen), through which the engine names a ``Mismatch``'s misconception key.
        partial: False (all or nothing) or True: ``points * passed / total`` cases,
            rounded to 0.01.
        depends_on: the earlier questions whose failure explains a failure of this one, by
            name (:meth:`Assignment.question` also takes a function's name, for every
            earlier question exercising it). Declared, never inferred from anything the
            student's process reports.
        on_dependency_failure: a key of :data:`DEPENDENCY_POLICIES`.
        clauses: ids of the contract clauses that every case of the question checks.
        relations: what a relation between got and expected means in this question: relation
            key (:mod:`autograder.judge.relations`) -> catalogue key, for a Mismatch that names none itself.
    """

    name: str
    title: str
    points: float
    functions: tuple[str, ...] = ()
    generate: CaseGenerator | None = field(default=None, repr=False)
    manual: bool = False
    misconceptions: Mapping[str, Misconception] = field(default_factory=dict, repr=False, compare=False)
    partial: bool = False
    depends_on: tuple[str, ...] = ()
    on_dependency_failure: str = "charge"
    clauses: tuple[str, ...] = ()
    relations: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if self.on_dependency_failure not in DEPENDENCY_POLICIES:
            raise ValueError(f"question {self.name!r}: on_dependency_failure must be one of {sorted(DEPENDENCY_POLICIES)}, "
                             f"not {self.on_dependency_failure!r}")

    def cases(self, seed: int | np.random.SeedSequence, hidden: bool) -> list[Case]:
        """The cases for this question drawn from ``seed`` (empty for manual questions)."""
        if self.generate is None:
            return []
        return list(self.generate(np.random.default_rng(seed), hidden))


@dataclass
class Assignment:
    """The questions of one notebook.

    Attributes:
        name: the nbgrader assignment name, e.g. ``"01_gates"``.
        notebook: the notebook's file name inside the assignment folder.
        title: a line for humans.
        questions: in notebook order.
        sample_mistakes: answer-cell sources by ``grade_id`` with typical mistakes, for the
            demo's partly wrong student (never the reference: wrong answers only).
        misconceptions: the catalogue of typical mistakes its checks can name, by key
            (declared with :meth:`misconception`).
        contracts: per student function, its docstring's clauses by id (``"fn.clause"``),
            declared with :meth:`contract`; cases say which ones they check.
        forbidden_libraries: top-level names of libraries its answers may not use: absent from
            the student's process while grading, and a submitted cell importing one is not run
            (see :mod:`autograder.sandbox.bans`).
    """

    name: str
    notebook: str
    title: str
    questions: list[Question] = field(default_factory=list)
    sample_mistakes: dict[str, str] = field(default_factory=dict)
    misconceptions: dict[str, Misconception] = field(default_factory=dict)
    contracts: dict[str, dict[str, str]] = field(default_factory=dict)
    forbidden_libraries: tuple[str, ...] = ()

    def contract(self, fn: str, **clauses: str) -> None:
        """Declare the clauses of ``fn``'s docstring: one short id per sentence that states behaviour.

        Cases then name what they check as ``"fn.id"`` (``Case(..., clauses=("step.dtype",))`` or
        ``question(..., clauses=...)`` for every case of a question); :mod:`autograder.judge.contracts`
        reports a clause no case checks, or no visible case checks.
        """
        if fn in self.contracts:
            raise ValueError(f"{self.name} already declares the contract of {fn!r}")
        self.contracts[fn] = {f"{fn}.{key}": sentence for key, sentence in clauses.items()}

    def misconception(self, key: str, name: str, hint: str, detected_by: str | Iterable[str] = "relation", questions: Iterable[str] = (),
                      shows_as: Iterable[str] = ()) -> str:
        """Declare a typical mistake once; checks name it with ``Mismatch(..., misconception=key)``.

        Args:
            key: unique within the assignment.
            name: a few words the student reads ("cost not divided by n").
            hint: one sentence on what to reconsider, without the answer.
            detected_by: "relation", "fingerprint" or "property", or several of them
                (see :mod:`autograder.judge.misconceptions`).
            questions: the questions whose checks can raise it.
            shows_as: keys of the mistakes it produces in dependent questions (see
                :attr:`~autograder.judge.misconceptions.Misconception.shows_as`).

        Returns:
            ``key``, so a module may keep it in a constant.
        """
        if key in self.misconceptions:
            raise ValueError(f"{self.name} already declares a misconception {key!r}")
        methods = (detected_by,) if isinstance(detected_by, str) else tuple(detected_by)
        self.misconceptions[key] = Misconception(key, name, hint, methods, tuple(questions), tuple(shows_as))
        return key

    def shows_downstream(self, pieces: Iterable[str], *keys: str) -> None:
        """Declare that every mistake the questions ``pieces`` can name shows as ``keys`` in a question built on them
        (``shows_as`` of each of those entries, declared at once): there it is charged to the piece."""
        for key, entry in self.misconceptions.items():
            if set(entry.questions) & set(pieces):
                self.misconceptions[key] = dataclasses.replace(entry, shows_as=entry.shows_as + tuple(k for k in keys if k not in entry.shows_as))

    def checks(self, question: str, *clauses: str) -> None:
        """Declare that every case of ``question`` checks ``clauses`` (ids ``"fn.clause"``): the
        table form of ``question(..., clauses=...)``, kept next to the contracts it refers to."""
        index = next(i for i, q in enumerate(self.questions) if q.name == question)
        self.questions[index] = dataclasses.replace(self.questions[index], clauses=self.questions[index].clauses + tuple(clauses))

    def relations(self, question: str, table: Mapping[str, str]) -> None:
        """Declare what relations between got and expected mean in ``question``: relation key
        (:mod:`autograder.judge.relations`) -> key of this assignment's catalogue."""
        unknown = [key for key in table.values() if key not in self.misconceptions]
        if unknown:
            raise ValueError(f"{self.name}/{question}: the relation table names unknown catalogue keys {unknown}")
        index = next(i for i, q in enumerate(self.questions) if q.name == question)
        self.questions[index] = dataclasses.replace(self.questions[index], relations={**self.questions[index].relations, **table})

    def question(self, points: float, functions: Iterable[str], title: str | None = None, partial: bool = False,
                 depends_on: Iterable[str] = (), on_dependency_failure: str = "charge",
                 clauses: Iterable[str] = ()) -> Callable[[CaseGenerator], CaseGenerator]:
        """Decorator: declare an automatically graded question from its case generator.

        The question's name is the generator's name; its title defaults to the first
        line of the generator's docstring. ``partial``, ``depends_on``,
        ``on_dependency_failure`` and ``clauses`` are described in :class:`Question`.
        """

        def register(generate: CaseGenerator) -> CaseGenerator:
            doc_title = (generate.__doc__ or generate.__name__).strip().splitlines()[0]
            self._add(Question(generate.__name__, title or doc_title, points, tuple(functions), generate, misconceptions=self.misconceptions,
                               partial=partial, depends_on=self._resolve(generate.__name__, depends_on), on_dependency_failure=on_dependency_failure,
                               clauses=tuple(clauses)))
            return generate

        return register

    def manual(self, name: str, points: float, title: str) -> None:
        """Declare a manually graded question (a written answer graded in formgrader)."""
        self._add(Question(name, title, points, manual=True, misconceptions=self.misconceptions))

    def _add(self, question: Question) -> None:
        if any(q.name == question.name for q in self.questions):
            raise ValueError(f"{self.name} already declares a question named {question.name!r}")
        self.questions.append(question)

    def _resolve(self, question: str, depends_on: Iterable[str]) -> tuple[str, ...]:
        """Question names for ``depends_on``, in notebook order: each name is an earlier question's
        name or, failing that, a student function's, standing for every earlier automatic question
        that exercises it. Only earlier questions count, so dependencies never form a cycle."""
        found: list[str] = []
        for name in depends_on:
            matches = [q.name for q in self.questions if q.name == name] or [q.name for q in self.questions if name in q.functions and not q.manual]
            if not matches:
                raise ValueError(f"{self.name}/{question} depends on {name!r}, which is neither an earlier question nor a function one exercises")
            found += [m for m in matches if m not in found]
        return tuple(q.name for q in self.questions if q.name in found)

    def __getitem__(self, name: str) -> Question:
        for question in self.questions:
            if question.name == name:
                return question
        known = ", ".join(q.name for q in self.questions)
        raise KeyError(f"{self.name} has no question {name!r}; its questions are: {known}")

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def functions(self) -> tuple[str, ...]:
        """Every student function the assignment's questions call, without repeats."""
        return tuple(dict.fromkeys(fn for q in self.questions for fn in q.functions))
