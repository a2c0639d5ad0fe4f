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
    WrongValue("constant_draw", r"constant_draw", "every entry the same number",
               "random draws differ from each other: the spread of the draw is 0. rng.normal(loc, scale, size) takes the mean first "
               "and the standard deviation second."),
    WrongValue("complement", r"complement", "one minus the right value",
               "the complement: the share of the other outcome (wrong for right: a comparison == written !=), or 1 - p where p is meant."),
    WrongValue("index_shift", r"index[+-]1", "the right values shifted by one index",
               "each entry holds its neighbour's right value: an index, a slice or a loop counter off by one "
               "(is each value recorded before or after its update?)."),
    WrongValue("count_off_by_one", r"length[+-]1", "one entry too many or too few",
               "a loop or a range bound off by one: range(n) makes n entries, range(1, n) makes n - 1."),
    WrongValue("empty", r"empty", "an empty result",
               "it was created empty and nothing was ever added to it: a loop that never runs (what does it iterate over, "
               "and is that empty?), or values computed and never appended, or appended to another list than the one returned."),
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
    WrongValue("mirrored", r"argument:-z", "the right values at -z",
               "each entry is what the right function gives at -z: a condition the wrong way round (z < 0 for z > 0), or a "
               "sign inside the formula (exp(z) for exp(-z), 1 - x for 1 + x)."),
    WrongValue("negated_mirror", r"negated_argument:-z", "minus the right values at -z",
               "each entry is minus what the right function gives at -z: a condition the wrong way round (z < 0 for z > 0, "
               "a minimum for a maximum) with the branches kept."),
    WrongValue("argument_scaled", r"argument:(?P<at>.+)", "the right values at {at} instead of z",
               "the shape is right and the scale of z is not: a constant multiplying or dividing z inside the formula is wrong "
               "(or missing) -- check each constant of the contract's formula."),
    WrongValue("other_part", r"part:(?P<part>.+)", "the value of {part}",
               "this part of the result holds what {part} should hold: the parts returned in another order than the contract's, "
               "or the expression of {part} written for both."),
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
    WrongValue("unreduced", r"shape:unreduced", "a row per sample where one number per sample is expected",
               "each sample's value should be one number, and yours keeps a row of them: an entrywise product X * w where the "
               "dot product X @ w adds the products up, or a sum or a maximum without axis=1."),
    WrongValue("sum_other_axis", r"sum:other_axis", "a sum over the wrong axis",
               "the sum keeps one entry per sample and adds up the units: a sum over the batch runs over the rows, axis=0."),
    WrongValue("law_zero", r"law:zero", "not zero where the formula is",
               "your value should vanish on these arguments and does not: a term that does not depend on the difference the "
               "formula is built from (a constant, an argument used alone, a sum where a difference belongs)."),
    WrongValue("law_mean", r"law:mean", "not a mean over the samples",
               "a mean over the batch does not change when every sample is repeated: divide the sum over the rows by their "
               "number n, and by nothing else (not the number of columns, not n twice)."),
    WrongValue("law_mean_gradient", r"law:mean_gradient", "not the gradient of a mean over the samples",
               "the gradient of a mean over n samples carries 1/n: with every sample twice, each one's entry halves. Divide by the "
               "number of rows n, once."),
    WrongValue("law_sum_columns", r"law:sum:columns", "not a sum over the columns",
               "the formula adds up every column (every output unit): a mean over them, or a division by their number, breaks that."),
    WrongValue("law_sum_entries", r"law:sum:entries", "not a sum over the entries",
               "the formula adds up every entry: a mean (np.mean, or a division by their number) gives a value that does not "
               "grow when entries are added."),
    WrongValue("law_degree", r"law:degree:(?P<arg>.+):(?P<k>-?\d+)", "the wrong power of {arg}",
               "the contract's formula is of degree {k} in {arg}: a power, a square root or a product with {arg} taken "
               "a different number of times than the formula does (x * 2 for x ** 2, a division for a product, a factor left out)."),
    WrongValue("law_step", r"law:step", "a difference quotient that depends on its step",
               "(f(w + eps) - f(w - eps)) / (2 eps) hardly changes when eps is halved: f changes by about 2 eps times its slope. "
               "Check that both evaluations move w by eps, in opposite directions, from its original value, that they are "
               "subtracted, and that the difference is divided by 2 eps."),
    WrongValue("law_average", r"law:average", "weights that do not add up to one",
               "a weighted average of two equal values is that value, because its weights add up to 1: check each weight "
               "(the momentum, one minus it) and that each multiplies its own value."),
    WrongValue("law_scale", r"law:scale", "kept entries scaled wrong",
               "inverted dropout scales every kept unit by the same 1 / (1 - p), so that the expected output equals the input: "
               "check that number (a product for a division, p for 1 - p)."),
    WrongValue("law_normalised", r"law:normalised", "rows that do not sum to one",
               "each row is a probability distribution: divide each row's exponentials by their own sum, "
               "np.sum(E, axis=1, keepdims=True) -- a division, by the sum of the same exponentials."),
    WrongValue("law_identity", r"law:identity", "an identity of the formula broken",
               "the reason states an identity every right value obeys and yours does not: compare your expression with the "
               "contract's formula operator by operator (a sign inside an exp, a division for a product, a term dropped)."),
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
