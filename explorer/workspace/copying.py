"""Copy one item's state to another key, in the same store or another one.

The copy is written in the target store's own form:

- key suffix rules: the target's key style (``js``: every key ends with ``/``;
  ``python``: private keys do; ``plain``: none) is read from a sample of its
  keys, kind by kind, and the new key follows it (``target_key_style``,
  ``restyle_key``); a kind the sample does not show keeps the key as given;
- names and ids: the target encodes the key as its detected dialect does (a
  container written by botbuilder-js gets ``msteams%2Fusers%2F29%3A1NEW``, a
  python Cosmos container ``msteams*47users*4729:1NEW``);
- the body: the decoded document, storage-level etag members (``e_tag``,
  ``eTag``) left out. Within one store the source item's form is kept (its
  separators, tags, member order: ``encode(..., like=source)``); into another
  store the target's dialect writes it; over an existing item (``overwrite``)
  that item's form is kept.

``redact`` masks values with the redaction rules first (production to a dev
store). The write goes through ``SafeWriter``: backed up (as absent, for a new
key) and audited as ``copy``, so ``revert TARGET KEY`` removes the copy.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from explorer.core.errors import ETagConflictError, ItemNotFoundError, StorageError
from explorer.core.items import JsonObject, RawItem
from explorer.state.keys import KeyKind, parse_key
from explorer.storage.base import Storage
from explorer.workspace.redact import RedactionRules
from explorer.workspace.safe_write import SafeWriter

#: keys looked at to learn a store's key style
SAMPLE = 500


@dataclass(frozen=True)
class KeyForm:
    """Whether each kind of state key ends with ``/`` in a store (``None``: not seen)."""

    user: bool | None = None
    conversation: bool | None = None
    private: bool | None = None

    def slash(self, kind: KeyKind) -> bool | None:
        if kind == "user":
            return self.user if self.user is not None else self._js_like()
        if kind == "conversation":
            return self.conversation if self.conversation is not None else self._js_like()
        if kind == "private":
            if self.private is not None:
                return self.private
            # python and js both end private keys with "/"; plain never does
            return True if (self.user or self.conversation) else None
        return None

    def _js_like(self) -> bool | None:
        if self.user or self.conversation:
            return True
        return None


def key_form(keys: list[str]) -> KeyForm:
    """What a sample of keys shows, kind by kind (the majority wins)."""
    votes: dict[str, Counter[bool]] = {k: Counter() for k in ("user", "conversation", "private")}
    for key in keys:
        info = parse_key(key)
        if info.kind in votes:
            votes[info.kind][info.trailing_slash] += 1
    seen = {kind: (c.most_common(1)[0][0] if c else None) for kind, c in votes.items()}
    return KeyForm(seen["user"], seen["conversation"], seen["private"])


async def target_key_form(store: Storage, *, sample: int = SAMPLE) -> KeyForm:
    """The key form of ``store``, from up to ``sample`` listed keys."""
    keys: list[str] = []
    async for key in store.iter_keys(""):
        keys.append(key)
        if len(keys) >= sample:
            break
    return key_form(keys)


def restyle_key(key: str, form: KeyForm) -> str:
    """``key`` with the trailing ``/`` the store's form gives its kind (other keys as given)."""
    info = parse_key(key)
    slash = form.slash(info.kind)
    if slash is None:
        return key
    bare = key[:-1] if info.trailing_slash else key
    return bare + "/" if slash else bare


def key_with_id(key: str, new_id: str) -> str:
    """``key`` for another user (user and private state) or conversation, same shape.

    ``msteams/users/29:1AbC`` with ``29:1NEW`` gives ``msteams/users/29:1NEW``;
    the channel, agent and trailing ``/`` stay. Text holding a ``/`` is taken
    as a whole key. ``ValueError`` for a key that names no user or conversation.
    """
    if "/" in new_id:
        return new_id
    if not new_id:
        raise ValueError("a user or conversation id is needed")
    info = parse_key(key)
    slash = "/" if info.trailing_slash else ""
    scope = f"{info.channel}/{info.agent}" if info.agent else f"{info.channel}"
    if info.kind == "user":
        return f"{scope}/users/{new_id}{slash}"
    if info.kind == "private":
        return f"{info.channel}/conversations/{info.conversation}/users/{new_id}{slash}"
    if info.kind == "conversation":
        return f"{scope}/conversations/{new_id}{slash}"
    raise ValueError(f"{key!r} names no user or conversation; give a whole key instead")


@dataclass(frozen=True)
class CopyPlan:
    """What ``copy_item`` will write: ``item`` (target form) under ``key``."""

    source_key: str
    key: str
    item: RawItem
    #: the item the copy replaces (``None``: a new key)
    existing: RawItem | None
    document: JsonObject


async def plan_copy(
    source: Storage,
    from_key: str,
    target: Storage,
    to_key: str,
    *,
    same_store: bool,
    redact: RedactionRules | None = None,
    restyle: bool = True,
) -> CopyPlan:
    """Read the source item and encode it for the target (see the module docstring)."""
    found = (await source.read_raw([from_key])).get(from_key)
    if found is None:
        raise ItemNotFoundError(from_key)
    document = source.decode(found)
    if redact is not None:
        document = redact.redact(document)
    key = restyle_key(to_key, await target_key_form(target)) if restyle else to_key
    if same_store and key == from_key:
        raise StorageError(f"{from_key!r} cannot be copied onto itself; name another key")
    existing = (await target.read_raw([key])).get(key)
    if existing is not None:
        like: RawItem | None = existing
    else:
        like = found if same_store else None
    item = target.encode(key, document, like=like)
    return CopyPlan(from_key, key, item, existing, document)


async def copy_item(
    writer: SafeWriter, target: Storage, plan: CopyPlan, *, overwrite: bool = False
) -> RawItem:
    """Write the planned copy: a new key only, unless ``overwrite`` (then etag-checked)."""
    if plan.existing is not None and not overwrite:
        raise ETagConflictError(
            plan.key,
            f"{plan.key!r} already exists in the target; nothing was written. Copy over it "
            "with overwrite (--overwrite; it is backed up first) or name another key",
        )
    return await writer.write_raw(
        target,
        plan.item,
        if_match=None if plan.existing is None else plan.existing.etag,
        create=plan.existing is None,
        action="copy",
    )
