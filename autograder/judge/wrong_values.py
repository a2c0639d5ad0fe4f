"""Naming the mistake behind a wrong value in any question: the kit-wide catalogue of relations.

A check that finds a relation between the student's value and the expected one (a factor, a
sign, a transpose, a term missing: :mod:`autograder.judge.relations`) raises its key. Where the
question's own table maps that key to one of its assignment's catalogued mistakes, that entry
names it, in the words of that question (a factor n in a cost is "the cost not divided by n").
Where it does not, the rule below for the key's kind names it in words that hold wherever the
relation does: the relation has been verified on the numbers, so "n times the right value" is
true, and the hint says where such a factor usually comes from. A key no rule knows names
nothing (the relation's own sentence is still in the reason).

Each rule is one table entry: a pattern of the relation key, whose named groups (the id of a
term, the axis) the name and hint may quote. All of this is text about a value that has already
lost its points: nothing here can raise a grade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["WRONG_VALUES", "WrongValue", "diagnose", "rule_for"]


@dataclass(frozen=True)
class WrongValue:
    """One kind of relation and the mistake it names."""

    key: str
    """Unique among :data:`WRONG_VALUES`."""
    pattern: str
    """A regular expression the whole relation key must match (``"missing:(?P<term>.+)"``)."""
    name: str
    """A few words the student reads after "Recognised mistake:"; may quote the pattern's fields."""
    hint: str
    """What to reconsider, never the answer; ``str.format`` fields: the pattern's named groups."""


WRONG_VALUES: tuple[WrongValue, ...] = (
    WrongValue("sign", r"sign", "the opposite sign",
               "every entry has the right size and the wrong sign: a subtraction written the other way round "
               "(a - b for b - a), or a minus sign lost or added."),
    WrongValue("times_n", r"factor:n", "n times the right value",
               "a sum over the n rows where the contract takes their mean: divide by n once."),
    WrongValue("over_n", r"factor:1/n", "the right value divided by n",
               "a division by the number of rows n too many: is the quantity a sum here, or does a term you used "
               "(the gradient of a mean cost) already carry the 1/n?"),
    WrongValue("times_2", r"factor:2", "twice the right value",
               "a factor 2 too many: the derivative of a square brings a 2 that a 1/2 in front of the cost cancels, "
               "and a term counted twice doubles too. Take the constants exactly as the contract's formula does."),
    WrongValue("half", r"factor:1/2", "half the right value",
               "a factor 2 missing: the derivative of x**2 is 2 x, and a term counted once where it appears twice halves the value."),
    WrongValue("transposed", r"transpose", "the transpose of the right value",
               "rows and columns exchanged: the operands of a product in the other order (A.T @ B for B.T @ A), "
               "or a .T too many or too few."),
    WrongValue("constant", r"shift", "off by a constant",
               "every entry is off by the same amount: a constant term (a bias, the 1 of 1 - x, a normaliser) "
               "missing or added."),
    WrongValue("zeros", r"zero", "all zeros",
               "nothing reached the result: an array made with np.zeros and never filled, a product with a term that is "
               "zero, or updates written to a copy that is not returned."),
    WrongValue("index_shift", r"index[+-]1", "the right values shifted by one index",
               "each entry holds its neighbour's right value: an index, a slice or a loop counter off by one "
               "(is each value recorded before or after its update?)."),
    WrongValue("count_off_by_one", r"length[+-]1", "one entry too many or too few",
               "a loop or a range bound off by one: range(n) makes n entries, range(1, n) makes n - 1."),
    WrongValue("term_missing", r"missing:(?P<term>.+)", "the term {term!r} missing",
               "your value is the right one without the term {term!r}: go through the contract's formula term by term."),
    WrongValue("term_twice", r"extra:(?P<term>.+)", "the term {term!r} counted twice",
               "your value is the right one with the term {term!r} once more: is it added in two places?"),
    WrongValue("term_sign", r"flipped:(?P<term>.+)", "the term {term!r} with the wrong sign",
               "the other terms are right: check the sign in front of {term!r}."),
    WrongValue("term_coefficient", r"scaled:(?P<term>.+)", "the term {term!r} with a wrong coefficient",
               "the other terms are right, and {term!r} is taken some other number of times than once: its constant "
               "(a 2, a 1/n, 1 - m for m) is wrong."),
    WrongValue("factor_missing", r"missing_factor", "a factor of the product missing",
               "the value is a product, and the factor the reason names is left out of it: write the product factor by factor, as its formula does."),
    WrongValue("factor_inverted", r"inverted_factor", "a factor dividing instead of multiplying",
               "one factor of the product divides: check each factor's place in the fraction."),
    WrongValue("factor_twice", r"extra_factor", "a factor of the product taken twice",
               "one factor of the product appears twice: is it already inside a term you multiply by it again?"),
    WrongValue("wrong_axis", r"axis:(?P<axis>\w+)", "normalised along the wrong axis",
               "the sums along another axis are one: the axis= of the sum (or the keepdims) is not the contract's."),
    WrongValue("one_region", r"region:(?P<region>.+)", "wrong only where {region!r}",
               "every entry outside that region is right: the branch of the piecewise formula for {region!r} is wrong."),
    WrongValue("column_constant", r"column_shift", "each column off by a constant of its own",
               "a per-column statistic subtracted or added (a mean over the rows) is computed wrong: check its axis and what it is taken of."),
    WrongValue("column_factor", r"column_factor", "each column off by a factor of its own",
               "a per-column divisor or scale (a standard deviation over the rows) is computed wrong: check its axis, its epsilon and its square root."),
    WrongValue("affine_step", r"forward:affine", "a layer's affine step Z = A_prev @ W + b",
               "every value before that layer's Z is right: Z_l = A_{{l-1}} @ W_l + b_l, with the activation of the layer below "
               "(X for layer 1) and this layer's own W and b."),
    WrongValue("layer_activation", r"forward:activation", "a layer's activation A = f(Z)",
               "that layer's Z is right and its A is not: A_l = f_l(Z_l), with the activation named for layer l, applied to "
               "its own Z (check that activation function alone)."),
    WrongValue("output_error", r"equation:BP1", "the output layer's error delta_L",
               "the output layer's bias gradient is already wrong, so its delta is: delta_L = dC/dA_L * f'(Z_L), "
               "with f' of the output layer's own activation at its own Z."),
    WrongValue("error_sent_back", r"equation:BP2", "the error sent back to the layers below",
               "the output layer's gradients are right and a layer below is not: delta_l = (delta_{{l+1}} @ W_{{l+1}}.T) * f'(Z_l), "
               "with the weights of the layer above, transposed, and f' of layer l at its own Z."),
    WrongValue("bias_gradient", r"equation:BP3", "the bias gradient's formula",
               "a layer's dW is right, so its delta is, and its db is not: dC/db_l is delta_l summed over the rows (axis 0)."),
    WrongValue("weight_gradient", r"equation:BP4", "the weight gradient's formula",
               "every bias gradient is right, so every delta is: dC/dW_l = A_{{l-1}}.T @ delta_l, with the layer's own input "
               "A_{{l-1}} (the activation of the layer below, X for layer 1)."),
    WrongValue("not_finite", r"non_finite", "infinite or NaN values",
               "NumPy does not stop at a division by zero, the log or square root of a negative number or an exp that "
               "overflows: it returns inf or nan. Look for a denominator that can be 0 and a term that grows without bound."),
    WrongValue("one_number", r"shape:number", "one number where an array is expected",
               "the result lost every axis: a sum or a mean without axis=, or an expression whose array operand is missing "
               "(only its constants are left)."),
    WrongValue("one_row", r"shape:row", "the shape of one row where one row per sample is expected",
               "the result lost its first axis: a sum or a mean over the rows (axis 0) taken too early, or an expression "
               "reduced to its per-column parameters (the batch's own values missing from it)."),
    WrongValue("sum_other_axis", r"sum:other_axis", "a sum over the wrong axis",
               "the sum keeps one entry per sample and adds up the units: a sum over the batch runs over the rows, axis=0."),
    WrongValue("changed_in_place", r"in_place", "an argument changed in place",
               "the function changed an array it was given: the caller's value is gone. Work on a copy (x = x.copy(), "
               "or W = W - lr * dW instead of W -= lr * dW)."),
)
"""The rules, tried in order."""


def rule_for(relation: str | None) -> tuple[WrongValue, dict[str, str]] | None:
    """The first rule of :data:`WRONG_VALUES` whose pattern the whole relation key matches, with its fields, else None."""
    if not relation:
        return None
    return next(((rule, found.groupdict()) for rule in WRONG_VALUES if (found := re.fullmatch(rule.pattern, relation))), None)


def diagnose(relation: str | None) -> tuple[str, str] | None:
    """``(name, hint)`` of the mistake the relation key names in any question (see :func:`rule_for`), else None."""
    found = rule_for(relation)
    if found is None:
        return None
    rule, fields = found
    return rule.name.format(**fields), rule.hint.format(**fields)
