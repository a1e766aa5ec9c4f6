"""Composition root: QApplication, the qasync loop, stores, services, the window.

``run_gui(args)`` parses ``[STORE] [--demo] [--screenshot PNG] [--goto KEY]
[--self-test] [--read-only]`` (plus the store options the CLI accepts). Wiring only: it reads
the environment once, builds the workspace's ``Connector`` (store URLs, saved
connections, secrets) and ``WriteSafety`` (backups, audit log), the
``TaskRunner``, the ``ConnectionManager``, the pending edits and detail pane,
and the window, and hands each only what it needs.

- ``--screenshot PNG``: open STORE, select its first user state (found by
  seeks, not a whole listing), save a grab of the main window, print one JSON
  line ``{"screenshot", "selected", "rows", "rss_mb"}`` and exit (exit 1 if
  the store could not be shown). ``--goto KEY``: go to KEY as Ctrl+L does instead.
  ``--end``: then press End in its group (a paged group reads its last page).
- ``--self-test``: import every backend and the Qt plugins it needs, open the
  window offscreen on a fresh demo store, close; exit 0 only if all worked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from explorer.workspace.connections import Connector, StoreFlags, warm_backends
from explorer.workspace.environment import DataPaths, Environment
from explorer.workspace.profiles import Profile

APP_NAME = "Bot State Explorer"
ORG_NAME = "botstate-explorer"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="botstate-explorer gui", description="Open the explorer window."
    )
    parser.add_argument(
        "store", nargs="?", help="store URL to open (sqlite:PATH, blob://C, cosmos://D/C)"
    )
    parser.add_argument("--demo", action="store_true", help="open the demo store")
    parser.add_argument("--screenshot", metavar="PNG", help="save a grab of the window and exit")
    parser.add_argument(
        "--goto", metavar="KEY", help="with --screenshot: go to KEY (or an id) as Ctrl+L does"
    )
    parser.add_argument(
        "--end", action="store_true", help="with --screenshot: then press End in the row's group"
    )
    parser.add_argument("--self-test", action="store_true", help="check the installation and exit")
    parser.add_argument("--read-only", action="store_true", help="open the store read-only")
    parser.add_argument("--connection-string")
    parser.add_argument("--endpoint")
    parser.add_argument("--key")
    parser.add_argument("--insecure", action="store_true", help="local emulators: TLS checks off")
    parser.add_argument("--environment", choices=("dev", "test", "prod"), default="dev")
    return parser


def build_window(
    settings: Any = None, data: Path | None = None, *, connector: Connector | None = None
) -> Any:
    """The window with every service wired; used by ``run_gui`` and the tests.

    ``settings``: a QSettings for layout and redaction rules (None: nothing
    saved, no saved connections); ``data``: the folder of the backups, audit
    log and saved connections (default: ``connector``'s, else the user data dir).
    """
    from explorer.storage.base import Storage
    from explorer.ui.connections import ConnectionManager
    from explorer.ui.detail import DetailPane
    from explorer.ui.main_window import MainWindow
    from explorer.ui.pending import PendingEdits
    from explorer.ui.tasks import TaskRunner
    from explorer.workspace.connections import WriteSafety
    from explorer.workspace.safe_write import SafeWriter
    from explorer.workspace.tree import StateTree

    if connector is None or data is not None:
        env = Environment.from_os()
        paths = DataPaths.resolve(None, env) if data is None else DataPaths(data)
        connector = Connector(paths, env)
    paths = connector.paths
    safety = WriteSafety(paths)
    runner = TaskRunner()
    manager = ConnectionManager(
        StateTree(), runner, connector.open_profile, lister_factory=connector.make_lister
    )

    def writer_for(store: Storage) -> SafeWriter:
        conn = next((c for c in manager.connections if c.store is store), None)
        return safety.writer(conn.profile.name if conn else None)

    from explorer.ui.detail.redaction import Redaction
    from explorer.ui.dialogs.redaction_rules import load_rules

    redaction = Redaction(load_rules(settings))
    pending = PendingEdits(writer_for, redaction=redaction, runner=runner)
    detail = DetailPane(
        pending=pending,
        redaction=redaction,
        backups=safety.backups,
        audit=safety.audit,
        runner=runner,
    )
    redaction.setParent(detail)
    detail.error.connect(runner.error)
    pending.error.connect(runner.error)
    profiles = connector.profiles if settings is not None else None

    def connect_dialog(window: MainWindow) -> None:
        from explorer.ui.connection_dialog import ConnectionDialog

        if profiles is None:
            return
        dialog = ConnectionDialog(profiles, runner, connector.check_profile, window)
        dialog.accepted.connect(lambda: window.connect_profile(dialog.profile(), dialog.secret()))
        dialog.open()

    window = MainWindow(
        manager,
        runner,
        detail,
        pending=pending,
        settings=settings,
        connect_dialog=connect_dialog,
        data_folder=str(paths.base),  # named in Help → About
    )
    pending.dialog_parent = window
    from explorer.ui.support_actions import SupportActions

    SupportActions(window, writer_for, redaction)  # parented to the window (issue 14)
    runner.setParent(window)
    manager.setParent(window)
    pending.setParent(window)
    return window


def run_gui(args: list[str]) -> int:
    """Open the desktop app. Returns the process exit code."""
    options = _parser().parse_args(args)
    headless = options.screenshot or options.self_test
    if headless and not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not headless:
        from explorer.ui.display import display_problem

        problem = display_problem()
        if problem is not None:
            print(f"botstate-explorer: error: {problem}", file=sys.stderr)
            return 1

    import qasync
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from explorer.ui.theme import apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0], *args])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationDisplayName(APP_NAME)
    try:
        from explorer.ui.resources import app_icon

        app.setWindowIcon(app_icon())
    except (ImportError, OSError):
        pass
    apply_theme(app)
    if headless:
        from explorer.ui.display import quiet_offscreen

        quiet_offscreen()
    # the loop ends when ``_run`` returns, after the closed window's work is awaited
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        if options.self_test:
            coro = _self_test()
        else:
            env = Environment.from_os()
            connector = Connector(DataPaths.resolve(None, env), env)
            settings = QSettings(ORG_NAME, "explorer") if not headless else None
            window = build_window(settings, connector=connector)
            coro = _run(options, window, connector, screenshot=options.screenshot)
        with loop:
            return int(loop.run_until_complete(coro))
    finally:
        asyncio.set_event_loop(None)


async def _run(
    options: argparse.Namespace, window: Any, connector: Connector, *, screenshot: str | None
) -> int:
    window.show()
    warming = asyncio.ensure_future(asyncio.to_thread(warm_backends))
    try:
        return await _show(options, window, connector, screenshot)
    finally:  # the imports finish in their thread; nothing is left pending
        await asyncio.gather(warming, return_exceptions=True)


def flags_of(options: argparse.Namespace) -> StoreFlags:
    """The store options given on the command line."""
    return StoreFlags(
        connection_string=options.connection_string,
        key=options.key,
        endpoint=options.endpoint,
        insecure=options.insecure,
        read_only=options.read_only,
        environment=options.environment,
    )


async def _show(
    options: argparse.Namespace, window: Any, connector: Connector, screenshot: str | None
) -> int:
    from PySide6.QtWidgets import QApplication

    url = options.store
    if options.demo and not url:
        from explorer.workspace.demo import ensure_demo_store_async

        url = await ensure_demo_store_async(connector.paths.demo_store)
    if url:
        from explorer.core.errors import UnknownStoreError

        try:
            target = connector.resolve(url, flags_of(options))
            profile, secret = target.profile, target.secret
        except UnknownStoreError as exc:
            print(f"{APP_NAME}: error: {exc}", file=sys.stderr)
            return 2
        read_only = True if options.read_only else None
        if screenshot:
            return await _screenshot(
                window, profile, secret, read_only, screenshot, goto=options.goto, end=options.end
            )
        window.connect_profile(profile, secret, read_only)
    elif screenshot:
        return await _grab(window, screenshot)
    closed = asyncio.get_running_loop().create_future()

    def last_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    QApplication.instance().lastWindowClosed.connect(last_closed)  # type: ignore[union-attr]
    if window.update_checker is not None:
        window.update_checker.maybe_check()  # off unless the user turned it on (Help menu)
    await closed
    await shutdown(window)
    return 0


async def shutdown(window: Any) -> None:
    """Stop what still runs for a closed window, then close its stores.

    Background work (a History load, a listing, an update check, an open audit
    log) is cancelled and awaited, so none is left pending when the loop stops.
    """
    window.runner.cancel_all()
    await window.runner.aclose()
    await window.detail.aclose()
    if window.update_checker is not None:
        await window.update_checker.aclose()
    await window.manager.close_all()


async def _screenshot(
    window: Any,
    profile: Profile,
    secret: str | None,
    read_only: bool | None,
    path: str,
    *,
    goto: str | None = None,
    end: bool = False,
) -> int:
    from explorer.ui.screenshot import show_first_user_state

    try:
        await show_first_user_state(window, profile, secret, read_only, goto=goto, end=end)
    except Exception as exc:  # reported on stderr, the grab still shows the state
        print(f"botstate-explorer: {exc}", file=sys.stderr)
        await _grab(window, path)
        return 1
    return await _grab(window, path)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports KB, macOS bytes)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


async def _grab(window: Any, path: str) -> int:
    """Save the window's picture, print the JSON line, close the window."""
    import json

    from explorer.ui.screenshot import selected_node

    # the qasync loop paints while this waits (never processEvents() inside a
    # task: it would run other tasks' steps re-entrantly)
    await asyncio.sleep(0.25)
    ok = window.grab().save(path)
    node = selected_node(window)
    rows = sum(1 for _ in window.manager.tree.root.walk()) - 1
    report = {
        "screenshot": path,
        "selected": node.key if node is not None else None,
        "rows": rows,
        "rss_mb": peak_rss_mb(),
    }
    print(json.dumps(report), flush=True)
    window.close()
    await shutdown(window)
    if not ok:
        print(f"botstate-explorer: could not write {path}", file=sys.stderr)
    return 0 if ok else 1


async def _self_test() -> int:
    """Import every backend, check the image plugins, open the window on a demo store."""
    import importlib

    from PySide6.QtGui import QImageWriter

    from explorer.ui.screenshot import show_first_user_state
    from explorer.workspace.demo import ensure_demo_store_async

    problems: list[str] = []
    modules = ("explorer.storage.sqlite", "explorer.storage.blob", "explorer.storage.cosmos")
    for module in (*modules, "explorer.ui.insights.page"):  # the last one: QtCharts
        try:
            importlib.import_module(module)
        except Exception as exc:
            problems.append(f"{module}: {type(exc).__name__}: {exc}")
    formats = {bytes(f.data()).decode() for f in QImageWriter.supportedImageFormats()}
    if "png" not in formats:
        problems.append("Qt image plugin for PNG is missing")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            url = await ensure_demo_store_async(Path(tmp) / "demo.db")
            connector = Connector(DataPaths(Path(tmp)), Environment())
            window = build_window(None, connector=connector)
            window.show()
            profile = connector.resolve(url).profile
            await show_first_user_state(window, profile, None, True)
            if window.grab().isNull():
                problems.append("the window could not be drawn")
            window.close()
            await shutdown(window)
        except Exception as exc:
            problems.append(f"window on a demo store: {type(exc).__name__}: {exc}")
    for problem in problems:
        print(f"self-test: {problem}", file=sys.stderr)
    print("self-test: ok" if not problems else f"self-test: {len(problems)} problem(s)")
    return 0 if not problems else 1
