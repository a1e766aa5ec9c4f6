"""Fast helpers for JSON-shaped state: deep copy and change fingerprints.

State documents are trees of dict / list / str / int / float / bool / None.
``json_copy`` copies those directly (several times faster than
``copy.deepcopy``, which handles cycles and arbitrary objects) and falls back
to ``copy.deepcopy`` for anything else. ``fingerprint`` is what change
detection compares: a 128-bit BLAKE2b digest of the document's compact JSON,
member order included (a reordering is a change in the stored form).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from hashlib import blake2b
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

_SCALARS = (str, int, float, bool, type(None))


def json_copy(value: Any) -> Any:
    """A deep copy of ``value``; JSON types copied directly, others by ``deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else json_copy(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else json_copy(v) for v in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)


def _fallback(value: Any) -> Any:
    """How a non-JSON value takes part in a fingerprint (never in a stored body)."""
    if isinstance(value, set | frozenset):
        return sorted(map(repr, value))
    attributes = getattr(value, "__dict__", None)
    if attributes is not None:
        return {"<type>": type(value).__qualname__, **attributes}
    return repr(value)


def _make_encoder() -> Callable[[Any, int], Iterable[str]]:
    """The C JSON encoder ``json.dumps`` uses, built once (no per-call setup).

    No circular-reference markers: a document that contains itself fails
    with ``RecursionError``, turned into ``ValueError`` by ``fingerprint``.
    """
    if c_make_encoder is None:  # pragma: no cover - CPython always has it
        return json.JSONEncoder(  # type: ignore[return-value]
            ensure_ascii=False, separators=(",", ":"), default=_fallback, check_circular=False
        ).iterencode
    encoder: Callable[[Any, int], Iterable[str]] = c_make_encoder(
        None, _fallback, encode_basestring, None, ":", ",", False, False, True
    )
    return encoder


_chunks = _make_encoder()


def fingerprint(document: Any) -> bytes:
    """A 128-bit digest that changes whenever the document's JSON form changes.

    Raises ``ValueError`` for a document that contains itself (or nests
    deeper than the interpreter's recursion limit).
    """
    try:
        text = "".join(_chunks(document, 0))
    except RecursionError:
        raise ValueError(
            "state document contains itself (or nests too deeply) and cannot be stored"
        ) from None
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
