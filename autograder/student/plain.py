"""Plain data: the only thing that crosses from student code to the grader.

Student functions return arbitrary Python objects. Before anything is compared,
a value is *encoded* into JSON-safe plain data (numbers, strings, lists, dicts and
tagged arrays) and *decoded* back into built-in types and float64/int64/bool NumPy
arrays. Anything else (an ndarray subclass, a custom class with its own ``__eq__``,
a generator...) becomes an :class:`Unsupported` marker carrying only its type name,
so no object written by a student ever reaches a comparison.

The encoding is lossless for float64 (JSON floats round-trip exactly, including
NaN and the infinities, which Python's ``json`` module writes as ``NaN`` and
``Infinity``). An array travels as its elements' bytes in a fixed little-endian dtype,
base64 in one string, read back with ``np.frombuffer`` after its length is checked
against its shape (never unpickled); an array written as a list of numbers is read too.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Unsupported", "encode", "decode", "dumps", "loads"]

_ARRAY = "__ndarray__"
_TUPLE = "__tuple__"
_UNSUPPORTED = "__unsupported__"
_DTYPES = {"b": "bool", "i": "int64", "u": "int64", "f": "float64"}
_WIRE = {"bool": "|b1", "int64": "<i8", "float64": "<f8"}
"""How an array's elements travel: their bytes in this dtype, base64 (no per-element text to write or parse)."""
MAX_ELEMENTS = 5_000_000

# NumPy's own scalar types and the built-in each becomes (the conversion is NumPy's, never the value's).
_NUMPY_SCALARS = {
    **{t: float for t in (np.float16, np.float32, np.float64, np.longdouble)},
    **{t: int for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.intc, np.uintc, np.longlong, np.ulonglong)},
    np.bool_: bool,
}


@dataclass(frozen=True)
class Unsupported:
    """Stands in for a value that is not plain data.

    Attributes:
        type_name: the qualified name of the value's type, e.g. ``"torch.Tensor"``.
        reason: why it could not be encoded.
    """

    type_name: str
    reason: str = "not plain data"

    def __str__(self) -> str:
        return f"<{self.type_name}: {self.reason}>"


def _type_name(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}".removeprefix("builtins.")


def encode(value: Any, depth: int = 0) -> Any:
    """Turn ``value`` into JSON-safe plain data.

    Accepted: None, bool, int, float, str, NumPy's numeric and bool scalars, exact
    ``np.ndarray`` instances of a numeric or bool dtype, and lists, tuples and
    string-keyed dicts of these — each of exactly that type, never a subclass, so no
    method a student wrote runs here. Everything else is encoded as an unsupported marker.
    """
    if depth > 20:
        return {_UNSUPPORTED: _type_name(value), "reason": "nested too deeply"}
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        return value if abs(value) < 2**63 else float(value)
    if type(value) is float:
        return value
    if type(value) in _NUMPY_SCALARS:  # exact NumPy types only: a subclass could run code in .item()
        return encode(_NUMPY_SCALARS[type(value)](value), depth + 1)
    if type(value) is np.ndarray:
        kind = value.dtype.kind
        if kind not in _DTYPES:
            return {_UNSUPPORTED: f"numpy.ndarray[{value.dtype}]", "reason": "not a numeric array"}
        if value.size > MAX_ELEMENTS:
            return {_UNSUPPORTED: "numpy.ndarray", "reason": f"larger than {MAX_ELEMENTS} elements"}
        array = value.astype(_WIRE[_DTYPES[kind]])
        return {_ARRAY: base64.b64encode(array.tobytes()).decode("ascii"), "dtype": _DTYPES[kind], "shape": list(array.shape)}
    if type(value) in (list, tuple):
        items = [encode(item, depth + 1) for item in value]
        return {_TUPLE: items} if type(value) is tuple else items
    if type(value) is dict and all(type(key) is str for key in value):
        return {key: encode(item, depth + 1) for key, item in value.items()}
    return {_UNSUPPORTED: _type_name(value), "reason": "not plain data"}


def decode(data: Any) -> Any:
    """Rebuild values from plain data produced by :func:`encode`.

    Arrays come back as float64, int64 or bool ``np.ndarray`` of the recorded
    shape; tuples as tuples; unknown or malformed tags as :class:`Unsupported`.
    Never evaluates or unpickles anything.
    """
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(item) for item in data]
    if type(data) is not dict:
        return Unsupported(_type_name(data), "malformed plain data")
    if _ARRAY in data:
        return _decode_array(data)
    if _TUPLE in data:
        items = data[_TUPLE]
        return tuple(decode(item) for item in items) if type(items) is list else Unsupported("tuple", "malformed")
    if _UNSUPPORTED in data:
        return Unsupported(str(data[_UNSUPPORTED]), str(data.get("reason", "not plain data")))
    return {str(key): decode(item) for key, item in data.items()}


def _decode_array(data: dict) -> np.ndarray | Unsupported:
    dtype, shape, flat = data.get("dtype"), data.get("shape"), data[_ARRAY]
    if dtype not in _DTYPES.values() or type(shape) is not list or type(flat) not in (list, str):
        return Unsupported("numpy.ndarray", "malformed array")
    if not all(type(n) is int and n >= 0 for n in shape) or math.prod(shape) > MAX_ELEMENTS:
        return Unsupported("numpy.ndarray", "malformed array shape")
    if type(flat) is str:
        return _decode_bytes(flat, dtype, shape)
    if math.prod(shape) != len(flat):
        return Unsupported("numpy.ndarray", "array shape does not match its data")
    if not all(type(x) in (bool, int, float) for x in flat):
        return Unsupported("numpy.ndarray", "array holds non-numbers")
    try:
        return np.array(flat, dtype=dtype).reshape(shape)
    except (OverflowError, ValueError):
        return Unsupported("numpy.ndarray", "array values do not fit its dtype")


def _decode_bytes(text: str, dtype: str, shape: list[int]) -> np.ndarray | Unsupported:
    """An array from its elements' bytes (base64, little-endian, of the fixed wire dtype): read as
    numbers only, never unpickled, and only when their count is exactly the shape's."""
    wire = np.dtype(_WIRE[dtype])
    if len(text) > (MAX_ELEMENTS * wire.itemsize * 4) // 3 + 4:
        return Unsupported("numpy.ndarray", "array data longer than its limit")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return Unsupported("numpy.ndarray", "array data is not base64")
    if len(raw) != math.prod(shape) * wire.itemsize:
        return Unsupported("numpy.ndarray", "array shape does not match its data")
    array = np.frombuffer(raw, dtype=wire).astype(dtype).reshape(shape)  # a copy: writable, in native byte order
    if dtype == "bool" and not np.isin(np.frombuffer(raw, dtype=np.uint8), (0, 1)).all():
        return Unsupported("numpy.ndarray", "array values do not fit its dtype")
    return array


def dumps(value: Any) -> str:
    """Encode ``value`` and serialise it as one line of JSON."""
    return json.dumps(encode(value), separators=(",", ":"))


def loads(text: str) -> Any:
    """Parse one line of JSON written by :func:`dumps` and decode it."""
    return decode(json.loads(text))
