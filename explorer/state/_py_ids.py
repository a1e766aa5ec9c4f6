"""Keeping jsonpickle's ``py/id`` references right when elements leave a stored document.

jsonpickle (2 and later, what botbuilder-python 4.17 installs) numbers the
lists, dicts and objects of a document in the order it reads them and writes
each one in full once, a repeat as ``{"py/id": n}``: a prompt's retry
``Activity`` refers to the enums of its first one, a deeper dialog's options to
an enum first written in the active dialog. Removing an element (popping a
dialog) shifts the numbers of everything after it, and can remove the full form
that a later reference points to.

``without`` writes the document again as jsonpickle would have written it
without those elements: every number reassigned, and the first remaining
reference to an object whose full form left with a removed element gets that
full form in its place (later ones, and its parts already written, are
references).

Numbering, as jsonpickle's ``Unpickler`` assigns it: a plain dict or list, a
``py/object`` (then its members, ``py/state`` last), a ``py/reduce`` (then its
items), a ``py/module`` or ``py/repr`` each take the next number when they
start; ``py/tuple``, ``py/set`` and ``py/iterator`` do not (their items do);
``py/id``, ``py/type``, ``py/function``, ``py/b64``, ``py/b85`` and scalars
take none. Nothing here imports or builds anything a tag names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from explorer.state._json import json_copy

#: members that make jsonpickle read a dict as something other than a dict
_TAGS = frozenset(
    {"py/object", "py/reduce", "py/type", "py/tuple", "py/set", "py/b64", "py/b85", "py/id"}
    | {"py/iterator", "py/function", "py/module", "py/repr"}
)
_NUMBERED_LEAVES = frozenset({"py/module", "py/repr"})
#: a py/object's members jsonpickle reads before / after the others
_FIRST = ("default_factory", "py/newargsex", "py/newargs", "py/initargs")
_LAST = ("py/seq", "py/state")


def without(document: dict[str, Any], removed: Iterable[object]) -> dict[str, Any]:
    """A copy of ``document`` without the ``removed`` list items (by identity), its
    ``py/id`` references renumbered as jsonpickle would number the result.

    The copy shares no container with ``document``, which is left unchanged.
    """
    numbering = _Walk(set())
    numbering.walk(document)
    rewrite = _Walk({id(r) for r in removed}, numbering.numbers, numbering.nodes)
    copy: dict[str, Any] = rewrite.walk(document)
    return copy


class _Walk:
    """One pass in jsonpickle's reading order: the first numbers the original; the
    second (given the first's ``numbers`` / ``nodes``) writes the copy."""

    def __init__(
        self,
        removed: set[int],
        numbers: dict[int, int] | None = None,
        nodes: dict[int, Any] | None = None,
    ) -> None:
        self.removed = removed
        self.rewriting = numbers is not None
        #: first pass: id(node) -> its number, and number -> node
        self.numbers: dict[int, int] = numbers if numbers is not None else {}
        self.nodes: dict[int, Any] = nodes if nodes is not None else {}
        #: second pass: original number -> number in the copy
        self.renumbered: dict[int, int] = {}
        self.next = 0

    def number(self, node: Any) -> None:
        if self.rewriting:
            old = self.numbers.get(id(node))
            if old is not None:
                self.renumbered[old] = self.next
        else:
            self.numbers[id(node)] = self.next
            self.nodes[self.next] = node
        self.next += 1

    def walk(self, value: Any) -> Any:
        if self.rewriting and isinstance(value, list | dict):
            old = self.numbers.get(id(value))
            if old is not None and old in self.renumbered:  # written already: refer to it
                return {"py/id": self.renumbered[old]}
        if isinstance(value, list):
            self.number(value)
            return [self.walk(item) for item in value if id(item) not in self.removed]
        if not isinstance(value, dict):
            return value
        tags = [k for k in value if k in _TAGS]
        if not tags:
            self.number(value)
            return {k: self.walk(v) for k, v in value.items()}
        if "py/object" in value:
            return self.instance(value)
        tag = tags[0]
        if tag == "py/id":
            return self.reference(value)
        if tag in _NUMBERED_LEAVES or tag == "py/reduce":
            self.number(value)
        if tag in ("py/reduce", "py/tuple", "py/set") and isinstance(value[tag], list):
            return {**value, tag: [self.walk(v) for v in value[tag]]}
        if tag == "py/iterator":
            return {**value, tag: self.walk(value[tag])}
        return json_copy(value)  # py/type, py/function, py/b64, py/b85, py/module, py/repr

    def reference(self, value: dict[str, Any]) -> Any:
        old = value["py/id"]
        if not self.rewriting or type(old) is not int:
            return dict(value)
        if old in self.renumbered:
            return {**value, "py/id": self.renumbered[old]}
        if old in self.nodes:  # its full form left with a removed element: it goes here
            return self.walk(self.nodes[old])
        return dict(value)  # pointed nowhere already: left as it was

    def instance(self, value: dict[str, Any]) -> dict[str, Any]:
        self.number(value)
        if "__reduce__" in value:  # the datetime handler: only its tzinfo is numbered
            reduced = value["__reduce__"]
            if isinstance(reduced, list) and len(reduced) == 2 and isinstance(reduced[1], list):
                args = reduced[1][:1] + [self.walk(v) for v in reduced[1][1:]]
                return {**value, "__reduce__": [json_copy(reduced[0]), args]}
            return dict(json_copy(value))
        order = [k for k in _FIRST if k in value]
        order += [k for k in value if k not in _FIRST and k not in _LAST and k != "py/object"]
        order += [k for k in _LAST if k in value]
        walked = {k: self.walk(value[k]) for k in order}
        return {k: walked.get(k, v) for k, v in value.items()}
