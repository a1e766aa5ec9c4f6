"""Whole-window screenshots on the demo store, for a person to look at.

``python -m tests.ui.window_screens OUTDIR [--dark]`` (offscreen) writes:
``window.png`` (first user state), ``stack.png`` (a conversation's dialog
stack), ``review.png`` (a pending edit and the Review & save dialog),
``conflict.png`` / ``conflict-compare.png``, ``connect.png`` (the connection
dialog), ``history.png`` and ``audit.png`` (after that save), ``prod.png`` (a
PROD store, read-only), ``redacted.png``, ``redaction-rules.png``, ``about.png``,
``watch.png`` (a watched state the bot changed twice, one pending edit kept) and
``insights.png`` (the Insights page of the demo store).
With ``--dark`` (or ``BOTSTATE_EXPLORER_THEME=dark``) file names start with
``dark-``. The run uses the qasync loop, as the app does, and a throw-away
data dir, so it never touches the user's history.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from explorer.workspace.profiles import Profile
from explorer.workspace.tree import NodeKind


async def _settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)  # the qasync loop paints meanwhile


def _conversation_with_stack(root: Any) -> Any:
    """A Teams conversation stored by the python bot whose dialog stack has frames."""
    for node in root.walk():
        key = node.key or ""
        entry = node.entry
        if (
            node.kind is NodeKind.CONVERSATION
            and key.startswith("msteams/")
            and key[-1] != "/"
            and entry is not None
            and (entry.size or 0) > 600  # a stack with a prompt, not just ConversationData
        ):
            return node
    return None


async def shoot(outdir: Path, data: Path, prefix: str) -> list[Path]:
    from PySide6.QtWidgets import QWidget

    from explorer.app import build_window, shutdown
    from explorer.ui.connection_dialog import ConnectionDialog
    from explorer.ui.detail.pane import TAB_HISTORY, TAB_STACK
    from explorer.ui.dialogs.conflict import ConflictDialog
    from explorer.ui.dialogs.history import AuditDialog
    from explorer.ui.dialogs.redaction_rules import RedactionRulesDialog
    from explorer.ui.dialogs.save import SaveDialog
    from explorer.ui.screenshot import show_first_user_state
    from explorer.workspace.demo import ensure_demo_store_async
    from explorer.workspace.profiles import ProfileStore
    from tests.ui.window_support import connector_at, settings_at

    written: list[Path] = []

    async def grab(widget: QWidget, name: str) -> None:
        widget.show()
        await _settle()
        path = outdir / f"{prefix}{name}"
        widget.grab().save(str(path))
        written.append(path)

    async def opened(settings: Any, name: str, environment: str) -> Any:
        """A window on the demo store, its first user state shown."""
        window = build_window(settings, data)
        window.resize(1280, 800)
        window.show()
        profile = Profile(name, "sqlite", environment, {"path": url[7:]})
        await show_first_user_state(window, profile, None, None)
        return window

    url = await ensure_demo_store_async(data / "demo.db")
    settings = settings_at(data / "settings.ini")
    window = await opened(settings, "contoso-support-bot (demo)", "dev")
    await grab(window, "window.png")

    conn = window.manager.connections[0]
    conv = _conversation_with_stack(conn.node)
    detail = window.detail
    if conv is not None:
        window.select_node(conv)
        await window.runner.wait_idle(10)
        detail.tabs.setCurrentIndex(TAB_STACK)
        await grab(window, "stack.png")
        detail.tabs.setCurrentIndex(0)

    user = next(n for n in conn.node.walk() if n.kind is NodeKind.USER and n.key)
    window.select_node(user)
    await window.runner.wait_idle(10)
    session = detail.session
    first = session.property_names()[0]
    value = session.get(first)
    if isinstance(value, dict):
        session.set_property(first, {**value, "age": 41})
    session.add_property("supportNote", "reset on request #4471")
    await _settle()
    await grab(window, "pending.png")
    review = SaveDialog([session], detail.redaction, window)
    await grab(review, "review.png")
    review.close()

    # someone else writes meanwhile: the save meets a conflict
    theirs = session.store.encode(
        session.key, {**session.document, "visits": 99}, like=session.loaded
    )
    await session.store.write_raw(theirs)
    await session.fetch_theirs()
    conflict = ConflictDialog(session, detail.redaction, window)
    await grab(conflict, "conflict.png")
    conflict.show_compare()
    await grab(conflict, "conflict-compare.png")
    conflict.close()
    await session.reload_theirs()
    session.set_property("supportNote", "reset on request #4471")
    await window.pending.save_session(session)  # something for the audit log

    window.select_node(user)
    await window.runner.wait_idle(10)
    detail.tabs.setCurrentIndex(TAB_HISTORY)
    await grab(window, "history.png")
    detail.tabs.setCurrentIndex(0)

    await _watched_and_insights(window, user, grab)

    dialog = ConnectionDialog(
        ProfileStore(data / "connections.json"),
        window.runner,
        connector_at(data).check_profile,
        window,
    )
    await grab(dialog, "connect.png")
    dialog.close()

    audit = AuditDialog(detail.history_view.audit, window)
    await audit.load()
    await grab(audit, "audit.png")
    audit.close()

    await _support_screens(window, conn, grab, data)

    detail.redaction.set_enabled(True)
    window.select_node(user)
    await window.runner.wait_idle(10)
    await grab(window, "redacted.png")
    rules = RedactionRulesDialog(detail.redaction, settings, window)
    await grab(rules, "redaction-rules.png")
    rules.close()
    detail.redaction.set_enabled(False)
    for top in window.menuBar().actions():  # the menus, as opened from the bar
        menu = top.menu()
        name = top.text().replace("&", "").lower()
        if menu is not None and name in ("view", "state", "support", "help"):
            menu.popup(window.mapToGlobal(window.menuBar().actionGeometry(top).bottomLeft()))
            await grab(menu, f"menu-{name}.png")
            menu.hide()
    from explorer.ui.menus import about_box

    about = about_box(window, window.data_folder)
    await grab(about, "about.png")
    about.close()
    window.close()
    await shutdown(window)

    prod = await opened(None, "contoso-prod", "prod")
    await grab(prod, "prod.png")
    prod.close()
    await shutdown(prod)
    return written


async def _support_screens(window: Any, conn: Any, grab: Any, data: Path) -> None:
    """Everything about a user with private states (issue 14), and its Forget… review."""
    from explorer.state.keys import parse_key
    from explorer.ui.support_actions import SupportActions

    support = window.findChild(SupportActions)
    private = next(n for n in conn.node.walk() if n.kind is NodeKind.PRIVATE and n.key)
    user_id = parse_key(private.key).user
    dialog = support.open_user_items(conn, user_id)
    await window.runner.wait_idle(10)
    dialog.values_box.setChecked(True)
    await window.runner.wait_idle(30)
    await grab(dialog, "user-items.png")
    dialog.forget_button.click()
    for _ in range(100):
        if support.review is not None:
            break
        await _settle(0.05)
    await grab(support.review, "forget-review.png")
    support.review.reject()
    dialog.reject()
    await window.runner.wait_idle(10)

    # Compare: the store against an export of itself taken before one change
    from explorer.workspace.export_lines import write_export

    store = conn.store
    dump = data / "yesterday.jsonl"
    await write_export(store, [k async for k in store.iter_keys("")], str(dump), "sqlite")
    user = next(n for n in conn.node.walk() if n.kind is NodeKind.USER and n.key)
    item = (await store.read_raw([user.key]))[user.key]
    document = store.decode(item)
    document["supportNote"] = "language reset after ticket #4471"
    await store.write_raw(store.encode(user.key, document, like=item), if_match=item.etag)
    compare = support.open_compare()
    compare.use_export_file(str(dump))
    await compare.run()
    await window.runner.wait_idle(10)
    await grab(compare, "compare.png")
    compare.reject()
    window.select_node(user)
    await window.runner.wait_idle(10)
    copy = support.open_copy()
    copy.id_edit.setText("29:1NEW-test-user")
    copy.redact_box.setChecked(True)
    await grab(copy, "copy-state.png")
    copy.reject()

    # several users selected with Ctrl: one Set property… becomes pending edits in each
    from PySide6.QtCore import QItemSelectionModel

    from explorer.workspace.bulk import parse_set

    users = [n for n in conn.node.walk() if n.kind is NodeKind.USER and n.key][:4]
    window.select_node(users[0])
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for node in users:
        window.view.selectionModel().select(window.model.index_of(node), flags)
    await support.multi.apply(parse_set('prefs.lang="de"'))
    await window.runner.wait_idle(10)
    await grab(window, "multi-select.png")
    window.pending.discard_all()


async def _watched_and_insights(window: Any, user: Any, grab: Any) -> None:
    """A user state watched while "the bot" changes it twice; then the Insights page."""
    from explorer.storage.sqlite import SqliteStorage

    insights = window.insights
    insights.controller.interval = 0.2
    window.select_node(user)
    await window.runner.wait_idle(10)
    insights.watch_action.trigger()
    controller = insights.controller
    path = window.manager.connections[0].store.path
    for _ in range(100):  # the baseline: the version loaded
        if controller.versions:
            break
        await asyncio.sleep(0.05)
    for visits in (7, 8):
        seen = len(controller.versions)
        async with SqliteStorage(path) as bot:
            document = (await bot.read([user.key]))[user.key]
            document.pop("e_tag", None)
            first = next(iter(document))
            if isinstance(document[first], dict):
                document[first] = {**document[first], "visits": visits}
            document["lastTurn"] = f"2024-05-0{visits}T10:00:00Z"
            await bot.write({user.key: document})
        for _ in range(100):
            if len(controller.versions) > seen:
                break
            await asyncio.sleep(0.05)
        if visits == 7:  # a pending edit made between the bot's two turns stays pending
            session = window.detail.session
            session.set_property("supportNote", "checking the booking flow")
    await _settle(1.2)  # the banner's clock ticks
    await grab(window, "watch.png")
    window.detail.session.revert()
    insights.watch_action.trigger()
    conn = window.manager.connections[0]
    window.select_node(conn.node)
    dialog = insights.open_insights()
    await window.runner.wait_idle(30)
    dialog.resize(1280, 760)
    await grab(dialog, "insights.png")
    dialog.close()


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    dark = "--dark" in argv
    if dark:
        os.environ["BOTSTATE_EXPLORER_THEME"] = "dark"
    args = [a for a in argv if a != "--dark"]
    import qasync
    from PySide6.QtWidgets import QApplication

    from explorer.ui.theme import apply_theme, is_dark

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    outdir = Path(args[0] if args else "shots")
    outdir.mkdir(parents=True, exist_ok=True)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp, loop:
        paths = loop.run_until_complete(shoot(outdir, Path(tmp), "dark-" if is_dark() else ""))
    print(json.dumps([str(p) for p in paths], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
