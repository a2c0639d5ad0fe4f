"""Probes of 07_generalisation: batch normalisation's forward and backward pass in one call.
"""

from __future__ import annotations

from typing import Any, Mapping

from . import probe, student_function


@probe
def batchnorm_round_trip(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """``batchnorm_forward`` then ``fn`` (batchnorm_backward) on its cache. args: (Z, gamma, beta, d_out); kwargs: eps.

    Returns ``{"forward": (out, None), "backward": (dZ, dgamma, dbeta)}`` as the student's functions
    return them (the cache itself stays in the student's process).
    """
    Z, gamma, beta, d_out = args
    out, cache = student_function(namespace, "batchnorm_forward")(Z, gamma, beta, **kwargs)
    return {"forward": (out, None), "backward": namespace[fn](d_out, cache)}
