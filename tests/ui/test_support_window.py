"""The window's support workflows: everything about a user, export, forget (reviewed), revert.

Real window offscreen, real SQLite files, the dialogs driven as a person would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from explorer.storage.sqlite import SqliteStorage
from explorer.ui.support_actions import USER_SHORTCUT, SupportActions, user_id_in
from explorer.workspace.profiles import Profile
from explorer.workspace.tree import LoadState
from tests.support.support_stores import ALL, HOLDS_USER, USER, VALUE_ONLY
from tests.ui.window_support import until


async def _filled(path: Path) -> str:
    async with SqliteStorage(path) as store:
        for key, document in ALL.items():
            await store.write_raw(store.encode(key, document))
    return str(path)


async def _connect(window: Any, path: str, environment: str = "dev") -> Any:
    name = Path(path).stem
    window.connect_profile(Profile(name, "sqlite", environment, {"path": path}), None)
    await until(lambda: any(c.profile.name == name for c in window.manager.connections))
    conn = next(c for c in window.manager.connections if c.profile.name == name)
    await until(lambda: conn.node.load_state is LoadState.LOADED)
    return conn


def _support(window: Any) -> SupportActions:
    found = window.findChild(SupportActions)
    assert isinstance(found, SupportActions)
    return found


def _rows(dialog: Any) -> list[tuple[str, str, str]]:
    table = dialog.table
    return [
        (
            table.topLevelItem(i).text(0),
            table.topLevelItem(i).text(1),
            table.topLevelItem(i).text(2),
        )
        for i in range(table.topLevelItemCount())
    ]


async def test_everything_about_a_user_then_forget_and_revert(window: Any, tmp_path: Path) -> None:
    conn = await _connect(window, await _filled(tmp_path / "state.db"))
    support = _support(window)
    assert support.user_action.shortcut() == USER_SHORTCUT
    assert support.user_action in window.view.actions()  # the tree's context menu
    window.select_node(conn.node.by_key[f"msteams/users/{USER}"])
    support.user_action.trigger()
    dialog = await until(lambda: support.dialogs and support.dialogs[-1])
    await until(lambda: len(dialog.items) == len(HOLDS_USER))
    assert {key for _, key, _ in _rows(dialog)} == set(HOLDS_USER)
    # SQLite seeks: channels found by seeks, only conversations listed, never the store
    assert "seeks" in dialog.cost.text()
    assert "listed 6 keys under conversations" in dialog.cost.text()
    assert dialog.forget_button.isEnabled()

    dialog.values_box.setChecked(True)
    await until(lambda: dialog.values)
    assert ("user", VALUE_ONLY, "value") in _rows(dialog)

    dump = tmp_path / "ada.jsonl"
    assert await dialog.export_to(str(dump)) == len(HOLDS_USER)  # never the value match
    assert {json.loads(x)["key"] for x in dump.read_text("utf-8").splitlines()} == set(HOLDS_USER)

    dialog.forget_button.click()
    review = await until(lambda: support.review)
    assert len(review.sessions) == len(HOLDS_USER)
    assert review.save_all.text() == f"Forget all ({len(HOLDS_USER)})"
    assert all(session.deleted for session in review.sessions)
    review.save_all.click()
    await until(lambda: support.last_operation is not None)
    async with SqliteStorage(tmp_path / "state.db", read_only=True) as store:
        assert await store.read_raw(list(HOLDS_USER)) == {}
        assert VALUE_ONLY in await store.read_raw([VALUE_ONLY])
    await until(lambda: all(k not in conn.node.by_key for k in HOLDS_USER))
    assert "Revert last operation undoes it" in window.status.currentMessage()

    operation = support.last_operation[1]  # type: ignore[index]
    support.revert_action.trigger()
    await until(lambda: support.last_operation and support.last_operation[1] != operation)
    async with SqliteStorage(tmp_path / "state.db", read_only=True) as store:
        assert set(await store.read_raw(list(HOLDS_USER))) == set(HOLDS_USER)
    await until(lambda: all(k in conn.node.by_key for k in HOLDS_USER))


async def test_from_go_to_and_read_only_production(window: Any, tmp_path: Path) -> None:
    await _connect(window, await _filled(tmp_path / "prod.db"), "prod")
    support = _support(window)
    window.toolbar.goto_edit.setText("msteams%2Fusers%2F29%3A1AbC")  # a js blob name
    window.view.setCurrentIndex(window.view.model().index(0, 0))  # the connection row
    support.user_action.trigger()
    dialog = await until(lambda: support.dialogs and support.dialogs[-1])
    assert dialog.user_id == USER
    await until(lambda: dialog.items)
    assert not dialog.forget_button.isEnabled()  # production stays read-only
    assert "read-only" in dialog.forget_button.toolTip()
    dialog.reject()


PRIVATE = {key for key in HOLDS_USER if "/conversations/" in key}


async def _open_for(window: Any, user_id: str) -> Any:
    """Everything about ``user_id`` (typed in Go to), as a user opens it."""
    support = _support(window)
    window.toolbar.goto_edit.setText(user_id)
    window.view.setCurrentIndex(window.view.model().index(0, 0))  # the connection row
    support.user_action.trigger()
    dialog = await until(lambda: support.dialogs and support.dialogs[-1])
    assert dialog.user_id == user_id
    return dialog


async def test_private_state_search_is_on_for_a_small_store_and_can_be_skipped(
    window: Any, tmp_path: Path
) -> None:
    conn = await _connect(window, await _filled(tmp_path / "state.db"))
    assert not conn.node.paged
    dialog = await _open_for(window, USER)
    assert dialog.private_box.isChecked()  # a small store: conversations are searched
    assert "On by default here" in dialog.private_box.toolTip()
    await until(lambda: dialog.lookup is not None)
    assert {key for _, key, _ in _rows(dialog)} == set(HOLDS_USER)
    assert dialog.lookup.private
    assert dialog.lookup.listed == 6

    dialog.private_box.setChecked(False)  # looks again, without the conversations
    await until(lambda: dialog.lookup is not None and not dialog.lookup.private)
    await window.runner.wait_idle(5)
    assert {key for _, key, _ in _rows(dialog)} == set(HOLDS_USER) - PRIVATE
    assert dialog.lookup.listed == 0  # no conversation was listed
    assert "private conversation state not searched" in dialog.heading.text()
    assert "private conversation state not looked for" in dialog.cost.text()
    assert "not searched: it is not forgotten" in dialog.forget_button.toolTip()
    dialog.reject()


async def test_private_state_search_is_off_for_a_big_store_until_ticked(
    window: Any, tmp_path: Path
) -> None:
    window.manager.paged_threshold = 5  # the store opens as a window over a big store
    conn = await _connect(window, await _filled(tmp_path / "big.db"))
    assert conn.node.paged
    dialog = await _open_for(window, USER)
    box = dialog.private_box
    assert not box.isChecked()
    assert "lists every conversation key" in box.text().replace("&", "")
    assert "every key under each channel's conversations/ is listed" in box.toolTip()
    assert "Off by default here" in box.toolTip()
    await until(lambda: dialog.lookup is not None)
    await window.runner.wait_idle(5)
    # user states read directly, no conversation listed, no private state shown
    assert dialog.lookup.listed == 0
    assert not dialog.lookup.private
    assert {key for _, key, _ in _rows(dialog)} == set(HOLDS_USER) - PRIVATE
    assert "private conversation state not searched" in dialog.heading.text()
    assert "Tick the box below" in dialog.cost.text()

    box.setChecked(True)  # the user asks for the scan: every conversation is listed
    await until(lambda: dialog.lookup.private)
    await window.runner.wait_idle(5)
    assert {key for _, key, _ in _rows(dialog)} == set(HOLDS_USER)
    assert dialog.lookup.listed == 6
    assert "not searched" not in dialog.heading.text() + dialog.forget_button.toolTip()
    assert "not looked for" not in dialog.cost.text()
    dialog.reject()


def test_user_id_in_pasted_text() -> None:
    assert user_id_in("msteams/conversations/c/users/29:1AbC/") == USER
    assert user_id_in("  29:1AbC ") == USER
    assert user_id_in("msteams*47users*4729:1AbC") == USER


async def test_compare_two_connections_and_copy_across(window: Any, tmp_path: Path) -> None:
    a = await _connect(window, await _filled(tmp_path / "a.db"))
    b_path = await _filled(tmp_path / "b.db")
    async with SqliteStorage(b_path) as store:
        key = f"msteams/users/{USER}"
        await store.write_raw(store.encode(key, {"UserProfile": {"name": "Ada", "lang": "de"}}))
        await store.delete_raw("msteams/users/29:1AbCD")
    b = await _connect(window, b_path)
    support = _support(window)
    dialog = support.open_compare()
    assert dialog is not None
    assert [dialog.a_box.itemText(i) for i in range(2)] == [a.profile.name, b.profile.name]
    found = await dialog.run()
    assert [(d.change, d.key) for d in found] == [
        ("changed", f"msteams/users/{USER}"),
        ("removed", "msteams/users/29:1AbCD"),
    ]
    assert found[0].paths == ("UserProfile.name", "UserProfile.lang")
    dialog.list.setCurrentItem(dialog.list.topLevelItem(0))
    await until(lambda: any(r.kind != "equal" for r in dialog.diff.rows))
    assert any("Ada Lovelace" in (r.left or "") for r in dialog.diff.rows)
    assert dialog.copy_ab.isEnabled()
    await dialog.copy_selected("ab")
    assert [(d.change, d.key) for d in dialog.differences] == [
        ("removed", "msteams/users/29:1AbCD")
    ]
    dialog.list.setCurrentItem(dialog.list.topLevelItem(0))
    assert not dialog.copy_ba.isEnabled()  # B has nothing to copy back
    await dialog.copy_selected("ab")
    assert dialog.differences == []
    assert "hold the same state" in dialog.summary.text()

    dump = tmp_path / "a.jsonl"
    async with SqliteStorage(tmp_path / "a.db", read_only=True) as store:
        from explorer.workspace.export_lines import write_export

        keys = [k async for k in store.iter_keys("")]
        await write_export(store, keys, str(dump), "sqlite")
    dialog.use_export_file(str(dump))
    assert await dialog.run() == []
    assert not dialog.copy_ab.isEnabled()  # an export file is never written to
    dialog.reject()


async def test_copy_state_to_another_id_redacted(window: Any, tmp_path: Path) -> None:
    conn = await _connect(window, await _filled(tmp_path / "state.db"))
    support = _support(window)
    assert support.copy_action in window.view.actions()
    window.select_node(conn.node.by_key[f"msteams/users/{USER}"])
    support.copy_action.trigger()
    dialog = await until(lambda: support.dialogs and support.dialogs[-1])
    dialog.id_edit.setText("29:1NEW")
    dialog.redact_box.setChecked(True)
    assert dialog.target_key() == "msteams/users/29:1NEW"
    written = await dialog.copy()
    assert written.key == "msteams/users/29:1NEW"
    async with SqliteStorage(tmp_path / "state.db", read_only=True) as store:
        copied = store.decode((await store.read_raw([written.key]))[written.key])
    assert copied["UserProfile"]["lang"] == "en"
    assert copied["UserProfile"]["name"] != "Ada Lovelace"
    assert written.key in conn.node.by_key
    dialog.reject()


async def test_multi_select_actions_become_pending_edits_with_undo(
    window: Any, tmp_path: Path
) -> None:
    from PySide6.QtCore import QItemSelectionModel

    conn = await _connect(window, await _filled(tmp_path / "state.db"))
    support = _support(window)
    multi = support.multi
    keys = [f"msteams/users/{USER}", "msteams/users/29:1AbCD", "msteams/users/x29:1AbC"]
    selection = window.view.selectionModel()
    for key in keys:
        node = conn.node.by_key[key]
        window.model.reveal(node)
        index = window.model.index_of(node)
        selection.select(
            index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        )
    assert sorted(k for _, k in multi.selected()) == sorted(keys)
    assert multi.set_action in window.view.actions()

    from explorer.workspace.bulk import ClearDialogs, parse_set, parse_unset

    edited, left = await multi.apply(parse_set('UserProfile.lang="de"'))
    assert (edited, left) == (3, [])
    assert window.pending.count() == 3
    session = window.pending.edits.get(conn.store, keys[0])
    assert session.draft["UserProfile"] == {"name": "Ada Lovelace", "lang": "de"}
    assert session.encoded().body == session.loaded.body.replace(b'"en"', b'"de"')
    edited, left = await multi.apply(parse_unset("UserProfile.nickname"))
    assert edited == 0
    assert len(left) == 3
    edited, left = await multi.apply(ClearDialogs())
    assert {why for _, why in left} == {"no dialog stack"}
    window.pending.undo_action.trigger()  # the last edit, in one of the states
    await until(lambda: window.pending.count() == 2)
    window.pending.discard_all()
    await until(lambda: window.pending.count() == 0)
    from explorer.workspace.bulk import Delete

    assert await multi.apply(Delete()) == (3, [])
    assert all(window.pending.edits.get(conn.store, k).deleted for k in keys)
    window.pending.discard_all()
