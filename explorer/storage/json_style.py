"""Write a JSON document back in the exact style it was stored in.

Bots in different languages serialise state differently (python: ``", "``
separators and ``\\uXXXX`` escapes; js and .NET: compact, raw UTF-8; .NET puts
``$type`` first). When the explorer changes one property, the stored text must
change only there, so that the bot (and a diff) sees nothing else move.

``rewrite(text, new)`` splices: it walks the original text, keeps the exact
bytes of every member and element whose value did not change (including odd
number literals such as ``1e-7`` or ``1.0``, escapes and whitespace), rewrites
only changed values (recursing into objects and arrays), drops removed members
and appends new members at the end of their object, using the separators found
in the original. Member order is the original order; a document's own order
only decides where new members go. Values are compared type-strictly
(``1`` is not ``1.0`` is not ``true``).

Only the standard library is used: no type tag is ever resolved here; ``py/*``
and ``$type`` members are plain members.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_NON_ASCII_ESCAPE = re.compile(r"\\u(?!00[0-7][0-9a-fA-F])[0-9a-fA-F]{4}")
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

Default = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class JsonStyle:
    """How a serialiser writes JSON: separators and whether non-ASCII is escaped."""

    item_separator: str = ","
    key_separator: str = ":"
    ensure_ascii: bool = False

    def dumps(self, value: Any, default: Default = None) -> str:
        """``value`` as JSON text in this style. NaN/Infinity raise ``ValueError``.

        Lone surrogates (valid in JSON text, not in UTF-8) are written as
        ``\\udXXX`` escapes, as JavaScript's ``JSON.stringify`` does.
        """
        text = json.dumps(
            value,
            ensure_ascii=self.ensure_ascii,
            separators=(self.item_separator, self.key_separator),
            allow_nan=False,
            default=default,
        )
        if not self.ensure_ascii and _LONE_SURROGATE.search(text):
            text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        return text


def same(a: Any, b: Any) -> bool:
    """Type-strict deep equality: ``1 != 1.0 != True``; dict order ignored."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float) and a != a:  # NaN read from a lenient store
        return bool(b != b)
    return bool(a == b)


@dataclass(slots=True)
class _Span:
    """One member or element of the original text."""

    key: str | None
    start: int  # the key's opening quote (members) or the value (elements)
    key_end: int  # after the key's closing quote (== start for elements)
    value_start: int
    value_end: int
    value: Any


def _ws(text: str, i: int) -> int:
    match = _WS.match(text, i)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _value(text: str, i: int) -> tuple[Any, int]:
    try:
        return _scan_once(text, i)
    except StopIteration:
        raise ValueError(f"no JSON value at offset {i}") from None


def _scan(text: str, start: int) -> tuple[list[_Span], int]:
    """Members of the object (or elements of the array) at ``start``; returns the end too."""
    is_object = text[start] == "{"
    close = "}" if is_object else "]"
    spans: list[_Span] = []
    i = _ws(text, start + 1)
    if text[i] == close:
        return spans, i + 1
    while True:
        key: str | None = None
        key_start = key_end = i
        if is_object:
            if text[i] != '"':
                raise ValueError(f"expected a member name at offset {i}")
            key, key_end = _scanstring(text, i + 1)
            i = _ws(text, key_end)
            if text[i] != ":":
                raise ValueError(f"expected ':' at offset {i}")
            i = _ws(text, i + 1)
        value, end = _value(text, i)
        spans.append(_Span(key, key_start, key_end, i, end, value))
        i = _ws(text, end)
        if text[i] == ",":
            i = _ws(text, i + 1)
        elif text[i] == close:
            return spans, i + 1
        else:
            raise ValueError(f"expected ',' or {close!r} at offset {i}")


def detect_style(text: str, fallback: JsonStyle) -> JsonStyle:
    """The style ``text`` was written in; what the text does not show comes from ``fallback``."""
    item_sep = key_sep = None
    stack = [_ws(text, 0)]
    visited = 0
    while stack and (item_sep is None or key_sep is None) and visited < 200:
        start = stack.pop()
        visited += 1
        if text[start] not in "{[":
            continue
        try:
            spans, _ = _scan(text, start)
        except (ValueError, IndexError):
            break
        if key_sep is None and spans and spans[0].key is not None:
            sep = text[spans[0].key_end : spans[0].value_start]
            key_sep = sep if sep in (":", ": ") else None
        if item_sep is None and len(spans) > 1:
            sep = text[spans[0].value_end : spans[1].start]
            item_sep = sep if sep in (",", ", ") else None
        stack.extend(s.value_start for s in reversed(spans))
    if not text.isascii():
        ensure_ascii = False
    elif _NON_ASCII_ESCAPE.search(text):
        ensure_ascii = True
    else:
        ensure_ascii = fallback.ensure_ascii
    return JsonStyle(
        item_separator=item_sep or fallback.item_separator,
        key_separator=key_sep or fallback.key_separator,
        ensure_ascii=ensure_ascii,
    )


def rewrite(text: str, new: Any, style: JsonStyle, default: Default = None) -> str:
    """``text`` (one JSON value) changed into ``new``, touching only what differs.

    Raises ``ValueError`` if ``text`` is not JSON or ``new`` holds a value JSON
    cannot store (NaN, infinity, or an object ``default`` refuses).
    """
    start = _ws(text, 0)
    old, end = _value(text, start)
    return text[:start] + _rewrite(text, start, end, old, new, style, default) + text[end:]


def _rewrite(
    text: str, start: int, end: int, old: Any, new: Any, style: JsonStyle, default: Default
) -> str:
    if same(old, new):
        return text[start:end]
    if isinstance(old, dict) and isinstance(new, dict):
        return _rewrite_container(text, start, end, new, style, default)
    if isinstance(old, list) and isinstance(new, list):
        return _rewrite_container(text, start, end, new, style, default)
    return style.dumps(new, default)


def _rewrite_container(
    text: str, start: int, end: int, new: Any, style: JsonStyle, default: Default
) -> str:
    spans, _ = _scan(text, start)
    is_object = isinstance(new, dict)
    open_, close = ("{", "}") if is_object else ("[", "]")
    item_sep = text[spans[0].value_end : spans[1].start] if len(spans) > 1 else style.item_separator
    key_sep = text[spans[0].key_end : spans[0].value_start] if spans and is_object else None
    key_sep = key_sep or style.key_separator
    kept: list[tuple[int, str]] = []  # (index of the original span, its new text)
    added: list[str] = []
    if is_object:
        last = {s.key: i for i, s in enumerate(spans)}
        for i, s in enumerate(spans):
            if s.key not in new:
                continue
            if last[s.key] != i:  # an earlier duplicate: readers ignore it, keep it as it is
                kept.append((i, text[s.start : s.value_end]))
                continue
            value = _rewrite(text, s.value_start, s.value_end, s.value, new[s.key], style, default)
            kept.append((i, text[s.start : s.value_start] + value))
        for name, value in new.items():
            if name not in last:
                added.append(style.dumps(name) + key_sep + style.dumps(value, default))
    else:
        for i, (s, value) in enumerate(zip(spans, new, strict=False)):
            kept.append(
                (i, _rewrite(text, s.value_start, s.value_end, s.value, value, style, default))
            )
        added = [style.dumps(value, default) for value in new[len(spans) :]]
    if not spans:
        return open_ + item_sep.join(added) + close
    out = [text[start : spans[0].start]]
    for n, (_, piece) in enumerate(kept):
        if n:
            previous = kept[n - 1][0]
            out.append(text[spans[previous].value_end : spans[previous + 1].start])
        out.append(piece)
    for piece in added:
        if len(out) > 1:
            out.append(item_sep)
        out.append(piece)
    out.append(text[spans[-1].value_end : end])
    return "".join(out)
