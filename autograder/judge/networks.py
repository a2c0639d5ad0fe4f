"""What the network questions share: the definitions they judge against, and reading a
student's list of layers.

A network's parameters, and their gradients, are a list with one ``(W, b)`` pair per layer:
``W`` of shape (n_in, n_out) and ``b`` of shape (n_out,), for layer sizes
``[n_0, n_1, ..., n_L]``; a batch ``X`` has one sample per row, and layer ``l`` computes
``A_l = f_l(A_{l-1} @ W_l + b_l)``.

- :func:`apply_activation` and :func:`forward_pass` are the definitions, written once for any
  array module: NumPy, or autograd.numpy so that :func:`autograd_grads` differentiates them
  (gradients are never typed by hand here).
- :func:`layer_pairs` reads such a list from a student's result, explains what is wrong with
  its structure in the curriculum's terms, and names the structural mistakes a question
  catalogues (a rule is an entry of ``mistakes``);
- :func:`compare_gradients` compares such a list of gradients with the right one layer by layer:
  which tensors match, the first wrong one's entries, and what the pattern points at;
  :func:`first_wrong_step` reads a forward pass's cache to find the step where it first goes wrong.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from .compare import Mismatch, expect_array, expect_close
from .misconceptions import Relation, close, common_relation, locate
from .relations import OTHER_AXIS, backprop_equation, length_shift

__all__ = ["ACTIVATION_NAMES", "FORWARD_ACTIVATION", "FORWARD_AFFINE", "LAYER_SKIPPED_HINT", "STRUCTURAL_MISTAKES", "activation_prime", "apply_activation", "autograd_grads", "compare_forward", "flat_pairs",
           "compare_gradients", "first_wrong_step", "forward_pass", "forward_step", "layer_pairs", "sizes_of"]

ACTIVATION_NAMES = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu")


def apply_activation(name: str, z, xp=np):
    """f(z) for the activation ``name`` (one of :data:`ACTIVATION_NAMES`) from its definition;
    ``xp`` is numpy or autograd.numpy. ReLU-like functions have derivative 0 at 0 (``where``)."""
    if name == "identity":
        return z
    if name == "sigmoid":
        return 1.0 / (1.0 + xp.exp(-z))
    if name == "tanh":
        return xp.tanh(z)
    if name == "relu":
        return xp.where(z > 0, z, 0.0 * z)
    if name == "leaky_relu":
        return xp.where(z > 0, z, 0.01 * z)
    if name == "elu":
        return xp.where(z > 0, z, xp.exp(xp.minimum(z, 0.0)) - 1.0)
    raise KeyError(name)


def activation_prime(name: str, z: np.ndarray) -> np.ndarray:
    """f'(z) by autograd's elementwise gradient of the definition (an oracle, not a formula typed here)."""
    from autograd import elementwise_grad
    import autograd.numpy as anp

    return np.asarray(elementwise_grad(lambda v: apply_activation(name, v, anp))(np.asarray(z, dtype=float)), dtype=float)


def forward_pass(params, X, activations, xp=np):
    """The output A_L (n, n_L) and the cache ``{"Z": [Z_1..Z_L], "A": [X, A_1..A_L]}`` of the
    network ``params`` with one activation name per layer, from the definition."""
    Zs, As = [], [X]
    for (W, b), name in zip(params, activations):
        Zs.append(As[-1] @ W + b)
        As.append(apply_activation(name, Zs[-1], xp))
    return As[-1], {"Z": Zs, "A": As}


def autograd_grads(params, cost) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(dC/dW, dC/db), ...]`` of ``cost(params)`` (written with autograd.numpy) by autograd."""
    from autograd import grad

    grads = grad(cost)([(np.asarray(W, float), np.asarray(b, float)) for W, b in params])
    return [(np.asarray(dW, float), np.asarray(db, float)) for dW, db in grads]


STRUCTURAL_MISTAKES = {
    "transposed": "the first entry of a pair has the shape of its transpose, (n_out, n_in)",
    "rows_not_summed": "the second entry keeps one row per sample (a bias gradient not summed over the batch)",
    "layer_skipped": "an entry is still None: a layer the loop over layers never reached",
}
"""The structural mistakes :func:`layer_pairs` recognises, by key; a question names them
through its ``mistakes`` table (structural key -> catalogue key)."""

LAYER_SKIPPED_HINT = ("backward gives every layer its (dW, db): the loop over the layers visits each of them once, from the output "
                      "layer down to the first (index 0); check its range's start, stop and step.")
"""The catalogue's hint for ``layer_skipped``, in every assignment whose students write backward."""


def _kind(value: Any) -> str:
    """The type a student returned, by name (the original type for values that could not cross as plain data)."""
    return getattr(value, "type_name", type(value).__name__)


def flat_pairs(value: Any, *args: Any) -> np.ndarray:
    """Every entry of a list of pairs of arrays ((W, b) or (dW, db), layer by layer), in order, as one vector (a law's
    measure: :mod:`autograder.judge.laws`; ``args`` are ignored)."""
    return np.concatenate([np.ravel(np.asarray(part, dtype=float)) for pair in value for part in pair])


def sizes_of(params: list) -> list[int]:
    """The layer sizes ``[n_0, ..., n_L]`` of a list of (W, b) pairs."""
    return [W.shape[0] for W, _ in params] + [params[-1][0].shape[1]]


def layer_pairs(got: Any, sizes: list[int], what: str, names: tuple[str, str] = ("W", "b"), batch: int | None = None,
                mistakes: Mapping[str, str] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Read ``got`` as one pair per layer of ``sizes``; return the pairs as float arrays.

    Args:
        got: the student's value.
        sizes: the layer sizes ``[n_0, ..., n_L]``; layer ``l`` (from 1) has a first entry of
            shape (n_{l-1}, n_l) and a second of shape (n_l,).
        what: the value in the student's words ("backward's result", "the returned params").
        names: what the two entries are called ("W", "b" or "dW", "db").
        batch: the number of samples, where a second entry of shape (batch, n_l) means a
            gradient not summed over the batch.
        mistakes: structural key (:data:`STRUCTURAL_MISTAKES`) -> the catalogue key it names.

    Raises:
        Mismatch: a list one layer too long or short (its relation says so), another length
            or type, an entry that is not a pair, or an entry of the wrong shape.
    """
    mistakes = mistakes or {}
    unknown = set(mistakes) - set(STRUCTURAL_MISTAKES)
    if unknown:
        raise ValueError(f"layer_pairs recognises {sorted(STRUCTURAL_MISTAKES)}, not {sorted(unknown)}")
    first, second = names
    layers = len(sizes) - 1
    listed = isinstance(got, (list, tuple))
    expected = f"{what} should be a list of {layers} pairs ({first}, {second}), one per layer, for layer sizes {list(sizes)}"
    miscounted = length_shift(got, layers) if listed else None
    if miscounted is not None:
        raise Mismatch(f"{expected}, but it has {len(got)}: {miscounted.text}.", relation=miscounted.key)
    if not listed or len(got) != layers:
        raise Mismatch(f"{expected}, but it is a {_kind(got)}" + (f" of length {len(got)}." if listed else "."))
    pairs = []
    for l, pair in enumerate(got, start=1):
        if pair is None:
            raise Mismatch(f"entry {l - 1} of {what} (layer {l}) is None: a layer your loop over the layers never reached.",
                           misconception=mistakes.get("layer_skipped"))
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            miscounted = length_shift(pair, 2) if isinstance(pair, (list, tuple)) else None
            raise Mismatch(f"entry {l - 1} of {what} (layer {l}) should be a pair ({first}, {second}), but it is a {_kind(pair)}"
                           + (f" of length {len(pair)}: {miscounted.text}." if miscounted else "."), relation=miscounted.key if miscounted else None)
        matrix, vector = pair
        n_in, n_out = sizes[l - 1], sizes[l]
        if isinstance(matrix, np.ndarray) and matrix.shape == (n_out, n_in) and n_in != n_out:
            raise Mismatch(f"{first} of layer {l} has shape {matrix.shape}, the transpose of the expected ({n_in}, {n_out}): {first} is (n_in, n_out)"
                           + (", so dC/dW = A_prev.T @ delta." if first == "dW" else "."), misconception=mistakes.get("transposed"))
        if isinstance(vector, np.ndarray) and vector.ndim == 2 and batch not in (None, 1) and vector.shape == (batch, n_out):
            raise Mismatch(f"{second} of layer {l} has shape {vector.shape}, one row per sample: the bias gradient must be summed over the batch "
                           f"(axis 0) to shape ({n_out},).", misconception=mistakes.get("rows_not_summed"))
        if isinstance(vector, np.ndarray) and vector.shape == (batch,) and batch not in (None, n_out):
            raise Mismatch(f"{second} of layer {l} has shape {vector.shape}, one entry per sample: it is summed over axis 1, the units; "
                           f"the bias gradient is summed over the batch (axis 0), to shape ({n_out},).", symptom=OTHER_AXIS)
        if isinstance(vector, np.ndarray) and vector.shape == (1, n_out):
            raise Mismatch(f"{second} of layer {l} has shape {vector.shape}, expected ({n_out},): sum over axis 0 without keepdims, "
                           f"so {second} has the shape of b.")
        pairs.append((expect_array(matrix, (n_in, n_out), f"{first} of layer {l}"), expect_array(vector, (n_out,), f"{second} of layer {l}")))
    return pairs


def compare_gradients(got: list, expected: list, what: str, rtol: float, reveal: bool, n: int | None = None,
                      name: Callable[[Mapping[str, Relation | None]], str | None] | None = None, advice: str = "",
                      by_equation: bool = True) -> None:
    """Compare ``[(dW, db), ...]`` (read by :func:`layer_pairs`) with the right gradients, layer by layer.

    Args:
        got, expected: one (dW, db) pair per layer, layer 1 next to the input.
        what: the gradients in the student's words ("your backward's gradients").
        rtol: relative tolerance, against the largest entry of each expected tensor.
        reveal: whether the first wrong tensor's message may show expected values.
        n: the batch size, so that factors n and 1/n are recognised.
        name: ``name(wrong)``: the catalogue key the wrong tensors' relations (name -> Relation or
            None, as :func:`~autograder.judge.misconceptions.locate` gives them) name, if any.
        advice: a sentence added when no catalogued mistake is named.
        by_equation: whether the pattern of right and wrong tensors may name a backpropagation equation:
            only where backward was given a right forward pass and output gradient (not where the student's
            own forward and cost gradient fed it, which may be what is wrong).

    Raises:
        Mismatch: naming ``name``'s key, else carrying the relation shared by every wrong tensor or,
            failing one (and with ``by_equation``), the backpropagation equation the pattern of right and
            wrong ones points at (:func:`~autograder.judge.relations.backprop_equation`).
    """
    layers = len(expected)
    got_t = {f"{kind}{l}": g for l, pair in enumerate(got, start=1) for kind, g in zip(("dW", "db"), pair)}
    exp_t = {f"{kind}{l}": e for l, pair in enumerate(expected, start=1) for kind, e in zip(("dW", "db"), pair)}
    located, wrong = locate(got_t, exp_t, n=n, rtol=rtol, atol=1e-300)
    if not wrong:
        return
    first = next(iter(wrong))
    scale = float(np.max(np.abs(exp_t[first]))) if exp_t[first].size else 0.0
    try:
        expect_close(got_t[first], exp_t[first], f"{first[:2]} of layer {first[2:]}", rtol=rtol, atol=rtol * max(scale, 1e-300), reveal=reveal)
        detail = ""
    except Mismatch as mismatch:
        detail = "\n" + mismatch.message
    key = name(wrong) if name else None
    found = common_relation(wrong) or (backprop_equation(wrong, layers) if by_equation else None)
    raise Mismatch(f"{what}, layer by layer (1 = next to the input, {layers} = the output): {located}{detail}{'' if key else advice}",
                   misconception=key, relation=found.key if found else None)


FORWARD_AFFINE = "forward:affine"
"""The relation key of a forward pass whose first wrong value is a layer's Z = A_prev @ W + b."""
FORWARD_ACTIVATION = "forward:activation"
"""The relation key of a forward pass whose first wrong value is a layer's A = f(Z), its Z right."""


def first_wrong_step(cache: Any, params, X, activations, rtol: float = 1e-9, atol: float = 1e-12) -> Relation | None:
    """Where a student's forward pass first goes wrong, read from its ``cache`` ({"Z": [...], "A": [X, ...]}) against the
    definition's, step by step (Z_1, A_1, Z_2, ...): a layer's Z wrong while every value before it is right is its
    affine step (kind ``"forward:affine"``), its A wrong while its Z is right its activation (``"forward:activation"``).
    None when the cache cannot be read that way, or is right."""
    try:
        Zs, As = list(cache["Z"]), list(cache["A"])
    except (KeyError, TypeError):
        return None
    if len(Zs) != len(params) or len(As) != len(params) + 1:
        return None
    right = forward_pass(params, X, activations)[1]
    for l in range(len(params)):
        if not close(Zs[l], right["Z"][l], rtol, atol):
            return forward_step("Z", l + 1)
        if not close(As[l + 1], right["A"][l + 1], rtol, atol):
            return forward_step("A", l + 1)
    return None


def forward_step(kind: str, layer: int) -> Relation:
    """The relation of a forward pass whose first wrong value, every value before it right, is layer ``layer``'s
    Z (``kind`` "Z": its affine step) or its A ("A": its activation)."""
    if kind == "Z":
        return Relation(FORWARD_AFFINE, f"wrong from Z of layer {layer} on, every value before it right")
    return Relation(FORWARD_ACTIVATION, f"right up to Z of layer {layer}, and wrong from its activation A = f(Z) on")


def compare_forward(got: Mapping[str, Any], params, X, activations, what: str, reveal: bool) -> None:
    """forward's output ``got["output"]`` against the definition's; where it is wrong (or of the wrong shape) and nothing
    else explains it, the step where the pass first goes wrong, read from ``got["cache"]`` (:func:`first_wrong_step`)."""
    expected = forward_pass(params, X, activations)[0]
    try:
        output = expect_array(got["output"], expected.shape, "forward(params, X, activations)[0] (the output)")
        expect_close(output, expected, what, rtol=1e-9, atol=1e-12, reveal=reveal)
    except Mismatch as wrong:
        found = first_wrong_step(got.get("cache"), params, X, activations) if wrong.relation is None else None
        if found is None:
            raise
        raise Mismatch(f"{wrong.message}\n  your forward pass is {found.text}.", relation=found.key) from None
