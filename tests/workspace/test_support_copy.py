"""Copying state (``workspace.copying``): key suffix rules and forms, on memory and SQLite."""

from __future__ import annotations

import pytest

from explorer.core.errors import ETagConflictError, ReadOnlyError
from explorer.core.items import RawItem
from explorer.storage import MemoryStorage, StorageBase
from explorer.workspace.copying import KeyForm, copy_item, key_form, plan_copy, restyle_key
from explorer.workspace.redact import RedactionRules
from explorer.workspace.safe_write import SafeWriter


def test_key_form_kind_by_kind() -> None:
    js = key_form(["c/users/u/", "c/conversations/v/", "auth/x"])
    assert restyle_key("c/users/new", js) == "c/users/new/"
    assert restyle_key("c/conversations/v/users/u", js) == "c/conversations/v/users/u/"
    python = key_form(["c/users/u", "c/conversations/v/users/u/"])
    assert restyle_key("c/users/new/", python) == "c/users/new"
    assert restyle_key("c/conversations/x/users/y", python) == "c/conversations/x/users/y/"
    plain = key_form(["c/users/u", "c/conversations/v/users/u"])
    assert restyle_key("c/conversations/x/users/y/", plain) == "c/conversations/x/users/y"
    unknown = KeyForm()
    assert restyle_key("c/users/new/", unknown) == "c/users/new/"
    assert restyle_key("auth/whatever/", js) == "auth/whatever/"  # not state: as given
    only_users = key_form(["c/users/u"])  # python or plain: a private key keeps its form
    assert restyle_key("c/conversations/x/users/y/", only_users) == "c/conversations/x/users/y/"
    assert restyle_key("c/conversations/x/users/y", only_users) == "c/conversations/x/users/y"


async def test_copy_into_a_js_store_follows_its_suffix(
    storage: StorageBase, writer: SafeWriter
) -> None:
    target = MemoryStorage()
    await target.write_raw(target.encode("webchat/users/someone/", {"a": 1}))
    body = b'{"UserProfile": {"name": "Grace", "e_tag": "x"}, "e_tag": "old"}'
    await storage.write_raw(RawItem(key="webchat/users/g", body=body))
    plan = await plan_copy(storage, "webchat/users/g", target, "webchat/users/h", same_store=False)
    assert plan.key == "webchat/users/h/"
    written = await copy_item(writer, target, plan)
    assert target.decode(written) == {"UserProfile": {"name": "Grace", "e_tag": "x"}}
    assert b'"old"' not in written.body  # the storage-level etag member is not copied
    (entry,) = await writer.audit.entries(key="webchat/users/h/")
    assert (entry.action, entry.outcome) == ("copy", "ok")

    redacted = await plan_copy(
        storage, "webchat/users/g", target, "webchat/users/h", same_store=False,
        redact=RedactionRules(),
    )  # fmt: skip
    with pytest.raises(ETagConflictError, match="already exists"):
        await copy_item(writer, target, redacted)
    replaced = await copy_item(writer, target, redacted, overwrite=True)
    assert target.decode(replaced)["UserProfile"]["name"] != "Grace"

    view = MemoryStorage(read_only=True)
    plan2 = await plan_copy(storage, "webchat/users/g", view, "webchat/users/z", same_store=False)
    with pytest.raises(ReadOnlyError):
        await copy_item(writer, view, plan2)


def test_key_with_id_keeps_the_shape() -> None:
    from explorer.workspace.copying import key_with_id

    assert key_with_id("msteams/users/29:1AbC", "29:1NEW") == "msteams/users/29:1NEW"
    assert key_with_id("msteams/users/29:1AbC/", "29:1NEW") == "msteams/users/29:1NEW/"
    assert key_with_id("msteams/28:bot/users/29:1AbC", "29:1NEW") == "msteams/28:bot/users/29:1NEW"
    assert (
        key_with_id("webchat/conversations/c|1/users/u/", "v")
        == "webchat/conversations/c|1/users/v/"
    )
    assert key_with_id("webchat/conversations/c|1", "d|2") == "webchat/conversations/d|2"
    assert key_with_id("x/users/u", "slack/users/U1") == "slack/users/U1"
    with pytest.raises(ValueError, match="names no user"):
        key_with_id("auth/whatever", "u")
