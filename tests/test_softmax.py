"""05_softmax through every path, its oracles, and the wrong answers it must catch."""


import numpy as np
import pytest
from conftest import ROOT, by_question, grade

from autograder import CheckFailed, checker, course
from autograder.course import notebook as nb
from autograder.questions import softmax as declarations

SOFTMAX = course.get_assignment("05_softmax")
AUTOMATIC = {q.name: q.points for q in SOFTMAX if not q.manual}


@pytest.fixture(scope="module")
def ref():
    """The reference namespace, read from the solution notebook."""
    return course.reference("05_softmax", ROOT)


# --- wrong answers, as a student would write them ----------------------------------

SOFTMAX_WRONG_AXIS = (
    "def softmax(Z):\n"
    "    E = np.exp(Z - Z.max(axis=0, keepdims=True))\n"
    "    return E / E.sum(axis=0, keepdims=True)\n"
)
SOFTMAX_NO_SHIFT = "def softmax(Z):\n    E = np.exp(Z)\n    return E / E.sum(axis=1, keepdims=True)\n"
ONE_HOT_OFF_BY_ONE = "def one_hot(labels, num_classes):\n    return np.eye(num_classes)[np.asarray(labels) - 1]\n"
LOG_OF_SOFTMAX = "def log_softmax(Z):\n    return np.log(softmax(Z))\n"
CE_SUM = (
    "def cross_entropy(Z, labels):\n"
    "    return float(-np.sum(log_softmax(Z)[np.arange(len(labels)), labels]))\n"
)
CE_WRONG_CLASS = (  # P[:, labels] picks an n-by-n block, not one entry per row
    "def cross_entropy(Z, labels):\n"
    "    return float(-np.mean(log_softmax(Z)[:, labels]))\n"
)
GRAD_WRONG_SIGN = "def cross_entropy_grad(Z, labels):\n    return (one_hot(labels, Z.shape[1]) - softmax(Z)) / Z.shape[0]\n"
GRAD_NOT_OVER_N = "def cross_entropy_grad(Z, labels):\n    return softmax(Z) - one_hot(labels, Z.shape[1])\n"
JACOBIAN_NO_DIAG = (
    "def softmax_jacobian(z):\n"
    "    p = softmax(z[None, :])[0]\n"
    "    return -np.outer(p, p)\n"
)
JACOBIAN_INNER = (  # p as a (1, C) row: p @ p.T is the 1x1 inner product, not the outer product p.T @ p
    "def softmax_jacobian(z):\n"
    "    e = np.exp(z - z.max())\n"
    "    p = (e / e.sum())[None, :]\n"
    "    return np.diag(p[0]) - p @ p.T\n"
)
ACCURACY_ONE_HOT = (  # compares one-hot matrices entry by entry: the agreeing zeros count as correct
    "def accuracy(predicted, labels):\n"
    "    C = int(max(np.max(predicted), np.max(labels))) + 1\n"
    "    return float(np.mean(np.eye(C)[predicted] == np.eye(C)[labels]))\n"
)
ACCURACY_PERCENT = "def accuracy(predicted, labels):\n    return 100.0 * np.mean(predicted == labels)\n"

# Correct answers that do not call other answers, so that a wrong softmax or one_hot in the
# same submission does not spill over into these questions.
GRAD_SELF_CONTAINED = (
    "def cross_entropy_grad(Z, labels):\n"
    "    E = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
    "    P = E / E.sum(axis=1, keepdims=True)\n"
    "    P[np.arange(len(labels)), labels] -= 1.0\n"
    "    return P / Z.shape[0]\n"
)
CE_SELF_CONTAINED = (
    "def cross_entropy(Z, labels):\n"
    "    S = Z - Z.max(axis=1, keepdims=True)\n"
    "    L = S - np.log(np.exp(S).sum(axis=1, keepdims=True))\n"
    "    return float(-np.mean(L[np.arange(len(labels)), labels]))\n"
)
TRAIN_TEMPLATE = '''\
def train_classifier(X, labels, hidden, lr, epochs, batch_size, l2, seed):
    labels = np.asarray(labels)
    C = int(labels.max()) + 1
    acts = ["relu"] * len(hidden) + ["identity"]
    params = init_params([X.shape[1], *hidden, C], seed)
    rng = np.random.default_rng(seed)

    def log_p(Z):
        S = Z - Z.max(axis=1, keepdims=True)
        return S - np.log(np.exp(S).sum(axis=1, keepdims=True))

    losses = []
    for _ in range(epochs):
        order, total = rng.permutation(len(X)), 0.0
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            Z, cache = forward(params, X[rows], acts)
            L = log_p(Z)
            # the batch's regularised cost before its update, weighted by its size
            total += (-L[np.arange(len(rows)), labels[rows]].sum() + len(rows) * 0.5 * l2 * sum(np.sum(W ** 2) for W, _ in params)) / len(X)
            G = np.exp(L)
            G[np.arange(len(rows)), labels[rows]] -= 1.0
            grads = backward(params, cache, G / len(rows), acts)
            params = [(W - lr * (dW + {l2_gradient}), b - lr * db) for (W, b), (dW, db) in zip(params, grads)]
        losses.append(total)
    return params, np.array(losses)
'''
TRAIN_SELF_CONTAINED = TRAIN_TEMPLATE.replace("{l2_gradient}", "l2 * W")
TRAIN_L2_OVER_BATCH = TRAIN_TEMPLATE.replace("{l2_gradient}", "l2 * W / len(rows)")


def backprop_pieces(ref_source: str, init: str | None = None, backward: str | None = None) -> str:
    """The solution's backprop_pieces cell with init_params's or backward's body replaced."""
    source = ref_source
    if init is not None:
        start = source.index("def init_params")
        end = source.index("def forward")
        source = source[:start] + init + "\n\n" + source[end:]
    if backward is not None:
        start = source.index("def backward")
        end = source.index("def relu")
        source = source[:start] + backward + "\n\n" + source[end:]
    return source


SOLUTION = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(SOFTMAX, ROOT)))}
ZERO_INIT = (  # every weight zero: ReLU units are dead and all alike, so only the output biases learn
    "def init_params(layer_sizes, seed):\n"
    "    return [(np.zeros((a, b)), np.zeros(b)) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]\n"
)
BACKWARD_TRANSPOSED = (
    "def backward(params, cache, dC_dA_out, activations):\n"
    "    grads, dA = [None] * len(params), dC_dA_out\n"
    "    for l in reversed(range(len(params))):\n"
    "        delta = ACTIVATIONS[activations[l]][1](cache['Z'][l]) * dA\n"
    "        grads[l] = (delta.T @ cache['A'][l], delta.sum(axis=0))\n"
    "        dA = delta @ params[l][0].T\n"
    "    return grads\n"
)


def assert_lost_exactly(result, lost: dict[str, str], unknown: tuple[str, ...] = ()):
    """Questions in ``lost`` score 0 with the given word in their reason or misconception; all others
    except ``unknown`` score full marks."""
    got = by_question(result)
    for name, points in AUTOMATIC.items():
        if name in lost:
            assert got[name].points == 0 and got[name].status == "failed", got[name]
            assert lost[name].lower() in (got[name].reason + " " + (got[name].misconception or "")).lower(), got[name].reason
        elif name not in unknown:
            assert got[name].points == points and got[name].passed, got[name]


# --- the three paths with the solution, and the untouched stub ----------------------

# --- wrong answers, grouped so that each submission's mistakes touch different questions ---

def test_unstable_softmax_off_by_one_log_of_softmax_missing_diag_one_hot_accuracy_and_zero_init(submit):
    path = submit(
        "05_softmax",
        softmax=SOFTMAX_NO_SHIFT, one_hot=ONE_HOT_OFF_BY_ONE, log_softmax=LOG_OF_SOFTMAX,
        softmax_jacobian=JACOBIAN_NO_DIAG, accuracy=ACCURACY_ONE_HOT,
        cross_entropy=CE_SELF_CONTAINED, cross_entropy_grad=GRAD_SELF_CONTAINED,
        backprop_pieces=backprop_pieces(SOLUTION["backprop_pieces"], init=ZERO_INIT), train_classifier=TRAIN_SELF_CONTAINED,
    )
    result = grade(path, "05_softmax")
    assert_lost_exactly(result, {
        "softmax_stable": "subtract each row's maximum", "one_hot": "off by one", "log_softmax": "log-sum-exp",
        "softmax_jacobian": "without its diagonal", "accuracy": "one-hot", "digits": "at least 95%",
    })
    got = by_question(result)
    assert got["softmax_stable"].misconception == "unstable softmax"
    assert got["log_softmax"].misconception == "log of softmax"
    assert got["one_hot"].misconception == "one_hot off by one"
    assert got["softmax_jacobian"].misconception == "Jacobian without its diagonal term"
    # a zero initialisation takes a correct first step: only the digits question can catch it
    assert got["classifier_step"].passed


def test_wrong_axis_sum_not_mean_gradient_without_n_inner_product_and_transposed_dw(submit):
    path = submit(
        "05_softmax",
        softmax=SOFTMAX_WRONG_AXIS, cross_entropy=CE_SUM, cross_entropy_grad=GRAD_NOT_OVER_N.replace("softmax(Z)", "np.exp(log_softmax(Z))"),
        softmax_jacobian=JACOBIAN_INNER, backprop_pieces=backprop_pieces(SOLUTION["backprop_pieces"], backward=BACKWARD_TRANSPOSED),
        train_classifier=TRAIN_SELF_CONTAINED,
    )
    result = grade(path, "05_softmax")
    assert_lost_exactly(result, {
        "softmax": "wrong axis", "softmax_stable": "axis", "two_class": "sigmoid",
        "cross_entropy": "sum instead of mean", "cross_entropy_grad": "not divided by n", "softmax_jacobian": "outer product",
        "classifier_step": "transposed",
    }, unknown=("digits",))
    got = by_question(result)
    assert got["softmax"].misconception == "softmax over the wrong axis"
    assert got["cross_entropy"].misconception == "sum instead of mean"
    assert got["cross_entropy_grad"].misconception == "cross-entropy gradient not divided by n"
    assert got["softmax_jacobian"].misconception == "inner instead of outer product"
    assert got["digits"].points == 0  # training with transposed gradients cannot even update W


def test_gradient_sign_wrong_class_percentage_accuracy_and_l2_over_batch(submit):
    path = submit(
        "05_softmax",
        cross_entropy_grad=GRAD_WRONG_SIGN, cross_entropy=CE_WRONG_CLASS, accuracy=ACCURACY_PERCENT,
        train_classifier=TRAIN_L2_OVER_BATCH,
    )
    result = grade(path, "05_softmax")
    assert_lost_exactly(result, {
        "cross_entropy_grad": "wrong sign", "cross_entropy": "wrong class probability", "two_class": "binary cross-entropy",
        "accuracy": "percentage", "classifier_step": "divided by the batch size",
    }, unknown=("digits",))
    got = by_question(result)
    assert got["cross_entropy_grad"].misconception == "cross-entropy gradient with the wrong sign"
    assert got["cross_entropy"].misconception == "wrong class probability"
    assert got["classifier_step"].misconception == "L2 gradient"


# --- the notebook's own check, and hidden messages ----------------------------------

def test_in_notebook_check_agrees_and_hidden_failures_reveal_no_expected_values():
    namespace = {"np": np}
    for label in ("one_hot", "softmax", "log_softmax", "cross_entropy", "cross_entropy_grad", "softmax_jacobian", "accuracy"):
        exec(SOLUTION[label], namespace)
    exec(GRAD_NOT_OVER_N, namespace)
    check = checker("05_softmax", namespace)
    assert check("softmax").passed and check("softmax_stable").passed and check("cross_entropy").passed
    with pytest.raises(CheckFailed, match="cross_entropy_grad\\(Z, labels\\) with two classes"):
        check("two_class")
    with pytest.raises(CheckFailed, match="factor 1/n"):
        check("cross_entropy_grad")
    exec("def cross_entropy_grad(Z, labels):\n    return (softmax(Z) - one_hot(labels, Z.shape[1])) / Z.shape[0] + 1e-3\n", namespace)
    with pytest.raises(CheckFailed) as hidden:
        check("cross_entropy_grad", hidden=True)
    assert "entries differ" in str(hidden.value) and "expected" not in str(hidden.value)


# --- oracles agree with each other and with the reference ----------------------------

def test_autograd_gradient_agrees_with_p_minus_y_and_the_reference(ref):
    rng = np.random.default_rng(1)
    for n, C in [(1, 2), (5, 3), (17, 10)]:
        Z, labels = rng.normal(scale=3, size=(n, C)), declarations._random_labels(rng, n, C)
        by_autograd = declarations._ce_gradient_autograd(Z, labels)
        np.testing.assert_allclose(by_autograd, (declarations.stable_softmax(Z) - np.eye(C)[labels]) / n, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(ref["cross_entropy_grad"](Z, labels), by_autograd, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(ref["cross_entropy"](Z, labels), -np.mean(np.log(ref["softmax"](Z)[np.arange(n), labels])), rtol=1e-12)


def test_autograd_jacobian_agrees_with_diag_minus_outer_and_the_reference(ref):
    rng = np.random.default_rng(2)
    for C in (2, 3, 7):
        z = rng.normal(scale=2, size=C)
        p = declarations.stable_softmax(z)
        J = declarations._jacobian_autograd(z)
        np.testing.assert_allclose(J, np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(ref["softmax_jacobian"](z), J, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(J.sum(axis=1), 0, atol=1e-15)


def test_reference_properties_shift_invariance_extremes_and_two_classes(ref):
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(6, 4))
    c = rng.uniform(-1000, 1000, size=(6, 1))
    np.testing.assert_allclose(ref["softmax"](Z + c), ref["softmax"](Z), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(ref["softmax"](Z).sum(axis=1), 1, rtol=1e-14)
    np.testing.assert_allclose(ref["log_softmax"](Z), np.log(ref["softmax"](Z)), rtol=1e-12)
    # the worked example of the notebook: z = (1000, -1000, 0)
    np.testing.assert_allclose(ref["log_softmax"](np.array([[1000.0, -1000.0, 0.0]])), [[0.0, -2000.0, -1000.0]], atol=1e-9)
    assert np.all(np.isfinite(ref["softmax"](declarations.EXTREME)))
    T = rng.normal(scale=3, size=(8, 2))
    y = rng.integers(0, 2, size=8)
    s = 1 / (1 + np.exp(-(T[:, 1] - T[:, 0])))
    np.testing.assert_allclose(ref["softmax"](T)[:, 1], s, rtol=1e-12)
    np.testing.assert_allclose(ref["cross_entropy"](T, y), -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s)), rtol=1e-10)


def test_network_gradients_by_autograd_agree_with_the_reference_backward(ref):
    rng = np.random.default_rng(4)
    sizes = [3, 5, 4, 3]
    params = [(rng.normal(size=(a, b)), rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
    X, labels = rng.normal(size=(7, 3)), declarations._random_labels(rng, 7, 3)
    acts = ["relu", "relu", "identity"]
    out, cache = ref["forward"](params, X, acts)
    np.testing.assert_allclose(out, declarations.relu_network(params, X), rtol=1e-12)
    grads = ref["backward"](params, cache, ref["cross_entropy_grad"](out, labels), acts)
    for (dW, db), (eW, eb) in zip(grads, declarations._network_gradients_autograd(params, X, labels)):
        np.testing.assert_allclose(dW, eW, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(db, eb, rtol=1e-9, atol=1e-14)


# --- the notebooks themselves ---------------------------------------------------------

