"""How a JSON value is summarised in one cell: its type badge and a short preview.

Type tags are read as text only: ``py/object`` (jsonpickle) and ``$type``
(Newtonsoft) name a class, which is shown as the badge; nothing is resolved,
imported or constructed. Previews skip the tag members so the cell shows data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: members that carry type metadata rather than data
TAG_MEMBERS = frozenset({"py/object", "py/type", "py/reduce", "py/id", "$type"})

PREVIEW_CHARS = 160


@dataclass(frozen=True, slots=True)
class Badge:
    """The type shown for a value. ``tagged`` badges name a stored class (shown muted)."""

    text: str
    tagged: bool = False
    full: str = ""


def _short_dotnet(name: str) -> str:
    """``MyBot.UserProfile, MyBot`` -> ``MyBot.UserProfile`` (the assembly is in the tooltip)."""
    return name.split(",", 1)[0].strip() or name


def type_badge(value: Any) -> Badge:
    """The badge of ``value``: a tagged class name, or the JSON type."""
    if isinstance(value, dict):
        tag = value.get("py/object")
        if isinstance(tag, str):
            return Badge(tag, tagged=True, full=f"py/object: {tag}")
        if "py/reduce" in value:
            return Badge("py/reduce", tagged=True, full="jsonpickle py/reduce (never executed)")
        dotnet = value.get("$type")
        if isinstance(dotnet, str):
            label = _short_dotnet(dotnet)
            if "$values" in value:
                count = len(value["$values"]) if isinstance(value["$values"], list) else "?"
                label = f"{label} [{count}]"
            return Badge(label, tagged=True, full=f"$type: {dotnet}")
        return Badge(f"object · {len(value)}")
    if isinstance(value, list):
        return Badge(f"array · {len(value)}")
    if isinstance(value, bool):
        return Badge("boolean")
    if value is None:
        return Badge("null")
    if isinstance(value, int | float):
        return Badge("number")
    if isinstance(value, str):
        return Badge("string")
    return Badge(type(value).__name__)


def _tag_only(value: dict[str, Any]) -> str | None:
    """A short text for a dict made only of type tags (else None).

    A pickled enum (``py/reduce`` of ``[{py/type: T}, {py/tuple: [v]}]``, as
    botbuilder-python stores ``ActivityTypes.message``) reads ``‹ActivityTypes
    "message"›``; any other tag-only dict names its tag (``‹py/id 3›``), so a
    summary never shows a misleading ``{}``. Text only: nothing is resolved.
    """
    if not value or any(name not in TAG_MEMBERS for name in value):
        return None
    reduce = value.get("py/reduce")
    if isinstance(reduce, list) and len(reduce) == 2:
        kind, args = reduce
        type_name = kind.get("py/type") if isinstance(kind, dict) else None
        tuple_args = args.get("py/tuple") if isinstance(args, dict) else None
        if isinstance(type_name, str) and isinstance(tuple_args, list):
            shown = ", ".join(json.dumps(a, ensure_ascii=False) for a in tuple_args[:3])
            return f"‹{type_name.rsplit('.', 1)[-1]} {shown}›"
    name, member = next(iter(value.items()))
    if isinstance(member, (str, int, float)) and not isinstance(member, bool):
        return f"‹{name} {member}›"
    return f"‹{name}›"


def _render(value: Any, budget: int) -> str:
    if isinstance(value, dict):
        if "$values" in value and "$type" in value:
            return _render(value["$values"], budget)
        tagged = _tag_only(value)
        if tagged is not None:
            return tagged
        parts: list[str] = []
        used = 2
        for name, member in value.items():
            if name in TAG_MEMBERS:
                continue
            part = f"{name}: {_render(member, max(budget - used, 8))}"
            parts.append(part)
            used += len(part) + 2
            if used > budget:
                break
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        items: list[str] = []
        used = 2
        for member in value:
            part = _render(member, max(budget - used, 8))
            items.append(part)
            used += len(part) + 2
            if used > budget:
                break
        return "[" + ", ".join(items) + "]"
    return json.dumps(value, ensure_ascii=False)


def preview(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """One line summarising ``value``, at most ``limit`` characters (``…`` if cut)."""
    text = _render(value, limit).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: text views show at most this many characters of a body or value (Qt text
#: widgets take seconds to lay out megabytes); the rest is reachable by export
TEXT_LIMIT = 256 * 1024
#: syntax highlighting is switched off above this many characters
HIGHLIGHT_LIMIT = 96 * 1024
#: line-by-line diffs compare at most this many lines per side
DIFF_LINE_LIMIT = 6000


def clip(text: str, limit: int = TEXT_LIMIT) -> tuple[str, bool]:
    """``text`` cut at a line end before ``limit`` characters; ``True`` if it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > 0 else limit], True


#: a large body shown unformatted is one long line, which costs far more to lay out
RAW_LINE_LIMIT = 48 * 1024


def clip_note(total: int, shown: int = TEXT_LIMIT) -> str:
    """The note shown under a clipped text of ``total`` characters."""
    return (
        f"Showing the first {shown // 1024} KB of {total / 1024 / 1024:.1f} MB: "
        "export the item to see all of it"
    )


def json_longer_than(value: Any, limit: int) -> bool:
    """Whether ``value``'s JSON text would be longer than ``limit`` characters.

    Walks the value and stops as soon as the estimate passes ``limit``, so the
    cost is bounded by ``limit``, not by the size of the value (encoding a
    multi-megabyte value just to measure it would pause the window).
    """
    budget = limit
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            budget -= 2 + 4 * len(item)
            for name, member in item.items():
                budget -= len(name)
                stack.append(member)
        elif isinstance(item, list):
            budget -= 2 + 2 * len(item)
            if len(item) > 200:  # estimate a long list from a sample of its elements
                sample = json.dumps(item[:100], ensure_ascii=False, default=str)
                budget -= (len(sample) - 2) * (len(item) // 100)
                stack.extend(item[(len(item) // 100) * 100 :])
            else:
                stack.extend(item)
        elif isinstance(item, str):
            budget -= len(item) + 2
        else:
            budget -= len(repr(item))
        if budget < 0:
            return True
    return False
