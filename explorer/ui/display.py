"""Can a window open here? One clear line instead of Qt's abort when it cannot.

Without a display, or with a system library of Qt's X11 platform plugin missing,
Qt prints several lines (one of them blames ``xcb-cursor0`` whatever is really
missing) and aborts the process with SIGABRT. ``display_problem()`` finds both
cases first, on Linux only (macOS and Windows always have their platform):

- no ``DISPLAY`` and no ``WAYLAND_DISPLAY`` (and no ``QT_QPA_PLATFORM`` chosen):
  "no display found…";
- the xcb plugin's libraries that the dynamic loader cannot find (``ldd`` on the
  plugin), each named with the Debian/Ubuntu package that provides it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

#: Debian/Ubuntu packages of the libraries Qt's xcb platform plugin loads
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
}

NO_DISPLAY = (
    "no display found: set DISPLAY (or WAYLAND_DISPLAY), or use --screenshot/--self-test, "
    "which run offscreen"
)


def missing_libraries(plugin: Path) -> list[str]:
    """The libraries ``plugin`` needs that the dynamic loader cannot find (``ldd``)."""
    try:
        done = subprocess.run(
            ["ldd", str(plugin)], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []  # no ldd: let Qt try
    missing = [
        line.split("=>")[0].strip() for line in done.stdout.splitlines() if "not found" in line
    ]
    return list(dict.fromkeys(missing))


def _xcb_plugin() -> Path:
    from PySide6.QtCore import QLibraryInfo

    plugins = QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)
    return Path(plugins) / "platforms" / "libqxcb.so"


def display_problem(
    environ: Mapping[str, str] | None = None, platform: str = sys.platform
) -> str | None:
    """Why no window can open here (one line), or None when one can (or we cannot tell)."""
    env = os.environ if environ is None else environ
    if not platform.startswith("linux"):
        return None
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen and not chosen.startswith("xcb"):
        return None  # offscreen, wayland, vnc...: Qt's own choice
    if not chosen and not env.get("DISPLAY"):
        return None if env.get("WAYLAND_DISPLAY") else NO_DISPLAY
    plugin = _xcb_plugin()
    if not plugin.exists():
        return None
    missing = missing_libraries(plugin)
    if not missing:
        return None
    packages = " ".join(PACKAGES.get(name, name) for name in missing)
    return (
        f"Qt's X11 platform plugin cannot load {', '.join(missing)}: install "
        f"{packages} (e.g. `sudo apt-get install {packages}`), or use "
        "--screenshot/--self-test, which run offscreen"
    )


#: what Qt's offscreen platform says about every window it shows: not the user's concern
OFFSCREEN_NOISE = frozenset({"This plugin does not support propagateSizeHints()"})


def quiet_offscreen() -> None:
    """Keep Qt's offscreen-platform chatter out of ``--screenshot``/``--self-test`` output.

    Every other Qt message still reaches stderr, one line each, as Qt prints them.
    """
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    def handler(_mode: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if message not in OFFSCREEN_NOISE:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)
