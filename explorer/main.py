"""Entry point of ``botstate-explorer`` and ``python -m explorer``.

Dispatches: ``--version``; no arguments, ``gui``, ``--demo``, ``--self-test``
open the desktop app (``explorer.app.run_gui``); anything else is a CLI
subcommand (``explorer.cli.main.main``). Qt is imported only on the GUI path,
so the CLI starts fast and works without a display.
"""

from __future__ import annotations

import sys

GUI_FIRST_ARGS = frozenset({"gui", "--demo", "--self-test"})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] in (["--version"], ["-V"]):
        from explorer import __version__

        print(f"botstate-explorer {__version__}")
        return 0
    if not args or args[0] in GUI_FIRST_ARGS:
        from explorer.app import run_gui

        return run_gui(args[1:] if args[:1] == ["gui"] else args)
    from explorer.cli.main import main as cli_main

    return cli_main(args)
