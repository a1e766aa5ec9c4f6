"""What a review shows, without Qt: bodies decoded by the store, changed members, summaries."""

from __future__ import annotations

import json

import pytest

from explorer.core.errors import DecodeError
from explorer.core.items import RawItem
from explorer.storage import StorageBase
from explorer.workspace.review import body_document, changed_members, edits_summary
from explorer.workspace.session import MISSING, EditSession

KEY = "msteams/users/29:1ada"
#: botbuilder-python keeps a stale ``e_tag`` in the body: a storage member, not state
STORED = {"UserProfile": {"name": "Ada"}, "visits": 42, "e_tag": "stale"}


@pytest.fixture
async def session(storage: StorageBase) -> EditSession:
    await storage.write_raw(RawItem(key=KEY, body=json.dumps(STORED).encode()))
    return await EditSession.load(storage, KEY)


async def test_bodies_are_decoded_as_the_store_reads_them(session: EditSession) -> None:
    assert body_document(session, session.loaded.body) == {
        "UserProfile": {"name": "Ada"},
        "visits": 42,
    }
    with pytest.raises(DecodeError):
        body_document(session, b"[1, 2]")


async def test_changed_members_in_stored_order(session: EditSession) -> None:
    session.set_property("visits", 43)
    session.add_property("note", "called")
    new = session.encoded()
    assert new is not None
    changes = changed_members(session, session.loaded.body, new.body)
    assert [(c.name, c.before, c.after) for c in changes] == [
        ("visits", 42, 43),
        ("note", MISSING, "called"),
    ]
    session.delete_state()
    gone = changed_members(session, session.loaded.body, None)
    assert [(c.name, c.after) for c in gone] == [("UserProfile", MISSING), ("visits", MISSING)]


async def test_edits_summary(session: EditSession) -> None:
    assert edits_summary(session) == "Changes kept from before (no undo history)"
    for n in range(5):
        session.set_property("visits", n)
    assert edits_summary(session) == (
        "5 pending edits (Edit visits, Edit visits, Edit visits, Edit visits, …)"
    )
    session.delete_state()
    assert edits_summary(session) == "Delete the whole state"
