"""Composition root: QApplication, the qasync loop, stores, services, the window.

Filled in by the window work.
"""

from __future__ import annotations

import sys


def run_gui(args: list[str]) -> int:
    """Open the desktop app. ``args``: ``[STORE] [--demo] [--screenshot PNG] [--self-test]``."""
    print("botstate-explorer: the window is not built yet", file=sys.stderr)
    return 2
