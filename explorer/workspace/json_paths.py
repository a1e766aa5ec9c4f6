"""Which property paths differ between two JSON documents, in dotted form.

``changed_paths(old, new)`` names every leaf that was added, removed or
changed, as ``prefs.lang`` (objects by member name, lists by index:
``DialogState.dialogStack.0.state``). A list whose length changed is named
as a whole (``items``): its elements moved, so naming them one by one would
say more than it knows. Values compare as JSON (``true`` and ``1`` differ).
A member name holding a dot is written as it is, so such a path is
ambiguous; it is for reading, never parsed back.
"""

from __future__ import annotations

from typing import Any

#: paths reported at most; more are summed up in the last one
MAX_PATHS = 100


def _same(a: Any, b: Any) -> bool:
    # type first: True == 1 in Python, never in JSON
    return type(a) is type(b) and a == b


def _walk(old: Any, new: Any, prefix: str, out: list[str]) -> None:
    if len(out) > MAX_PATHS:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for name in dict.fromkeys([*old, *new]):
            path = f"{prefix}.{name}" if prefix else str(name)
            if name not in old or name not in new:
                out.append(path)
            else:
                _walk(old[name], new[name], path, out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, f"{prefix}.{index}" if prefix else str(index), out)
        return
    if not _same(old, new):
        out.append(prefix or "$")


def changed_paths(old: Any, new: Any) -> list[str]:
    """The dotted paths that differ between ``old`` and ``new`` (``[]``: equal).

    ``"$"`` names the whole document (one of them is not an object). At most
    ``MAX_PATHS`` paths, the last one then saying how many more there were.
    """
    out: list[str] = []
    _walk(old, new, "", out)
    if len(out) > MAX_PATHS:
        out = [*out[: MAX_PATHS - 1], "(and more)"]
    return out
