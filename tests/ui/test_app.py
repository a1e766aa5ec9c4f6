"""The installed entry point: ``gui STORE --screenshot``, ``--demo``, ``--self-test``.

Each runs in a child process, as a user (or the packaging check) runs it, with
the user data dir pointed at a temporary folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob.aio import ContainerClient
from PySide6.QtGui import QImage

from explorer.workspace.profiles import Profile, ProfileStore
from tests.support.azurite import Azurite, unique_container
from tests.ui.window_support import make_store


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "BOTSTATE_EXPLORER_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    return subprocess.run(
        [sys.executable, "-m", "explorer", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


async def test_screenshot_of_a_store_shows_its_first_user(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "state.db", ["webchat/users/u1", "slack/users/u2"])
    png = tmp_path / "shot.png"
    result = run(tmp_path, "gui", url, "--screenshot", str(png))
    assert result.returncode == 0, result.stderr[-2000:]
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1200, 760)
    # the offscreen platform's chatter is not shown (it said so once per window shown)
    assert "propagateSizeHints" not in result.stderr, result.stderr


async def test_gui_opens_a_saved_connection_by_name(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "state.db", ["webchat/users/u1"])
    profiles = ProfileStore(tmp_path / "data" / "connections.json")
    profiles.save(Profile("customer copy", "sqlite", "prod", {"path": url[len("sqlite:") :]}))
    png = tmp_path / "shot.png"
    result = run(tmp_path, "gui", "@customer copy", "--screenshot", str(png))
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.stat().st_size > 10_000
    missing = run(tmp_path, "gui", "@nobody", "--screenshot", str(png))
    assert missing.returncode == 2
    assert "no saved connection named 'nobody'; saved: 'customer copy'" in missing.stderr
    assert "Traceback" not in missing.stderr
    typo = run(tmp_path, "gui", "sqllite:state.db", "--screenshot", str(png))
    assert typo.returncode == 2  # not a demo store under a misspelt name
    assert "'sqllite:state.db' is not a store the explorer opens" in typo.stderr


def report_of(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """The one JSON line ``--screenshot`` prints on stdout."""
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, result.stdout
    report = json.loads(lines[0])
    assert set(report) == {"screenshot", "selected", "rows", "rss_mb"}
    return report


# keys sorted so that a private state and a sign-in key come before any user
_MIXED = [
    "auth/token-1",
    "msteams/conversations/c1",
    "msteams/conversations/c1/users/u9",
    "msteams/users/u1",
    "webchat/users/u2",
]


async def test_screenshot_selects_the_first_user_state_not_a_private_or_other_key(
    tmp_path: Path,
) -> None:
    url = await make_store(tmp_path / "state.db", _MIXED)
    png = tmp_path / "shot.png"
    result = run(tmp_path, "gui", url, "--screenshot", str(png))
    assert result.returncode == 0, result.stderr[-2000:]
    report = report_of(result)
    assert report["screenshot"] == str(png)
    assert report["selected"] == "msteams/users/u1"
    assert isinstance(report["rows"], int)
    assert report["rows"] >= 3
    assert isinstance(report["rss_mb"], float)
    assert report["rss_mb"] > 10


async def test_goto_screenshot_shows_the_key_as_ctrl_l_does(tmp_path: Path) -> None:
    url = await make_store(tmp_path / "state.db", _MIXED)
    png = tmp_path / "goto.png"
    key = "msteams/conversations/c1/users/u9"
    result = run(tmp_path, "gui", url, "--goto", key, "--screenshot", str(png))
    assert result.returncode == 0, result.stderr[-2000:]
    assert report_of(result)["selected"] == key
    assert png.stat().st_size > 10_000
    # an id, as pasted into the Go to box
    result = run(tmp_path, "gui", url, "--goto", "u2", "--screenshot", str(png))
    assert report_of(result)["selected"] == "webchat/users/u2"
    missing = run(tmp_path, "gui", url, "--goto", "nobody-here", "--screenshot", str(png))
    assert missing.returncode == 1
    assert "nothing named 'nobody-here'" in missing.stderr
    assert report_of(missing)["selected"] is None


def test_screenshot_of_a_big_store_does_not_wait_for_its_listing(tmp_path: Path) -> None:
    from tests.support.bigstore import sqlite_store

    path = sqlite_store(200_000)
    png = tmp_path / "big.png"
    result = run(tmp_path, "gui", f"sqlite:{path}", "--screenshot", str(png))
    assert result.returncode == 0, result.stderr[-2000:]
    report = report_of(result)
    selected = report["selected"]
    assert isinstance(selected, str)
    assert "/users/" in selected
    assert "/conversations/" not in selected
    assert isinstance(report["rows"], int)
    assert report["rows"] < 200_000


def test_screenshot_of_a_missing_store_fails_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    png = tmp_path / "shot.png"
    result = run(tmp_path, "gui", f"sqlite:{tmp_path / 'folder'}", "--screenshot", str(png))
    assert result.returncode == 1
    assert "botstate-explorer:" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_screenshot_creates_the_demo_store_in_the_user_data_dir(tmp_path: Path) -> None:
    png = tmp_path / "demo.png"
    result = run(tmp_path, "--demo", "--screenshot", str(png))
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.stat().st_size > 10_000
    assert (tmp_path / "data" / "demo.db").exists()  # where the CLI keeps it too


def test_self_test_passes(tmp_path: Path) -> None:
    result = run(tmp_path, "--self-test")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("self-test: ok")


@pytest.mark.emulator
async def test_screenshot_of_a_blob_container_opens_a_user_below_its_channel(
    tmp_path: Path, azurite: Azurite
) -> None:
    # a store listed per node: the channel and its Users group are opened as a user would
    container = unique_container("shot")
    async with ContainerClient.from_connection_string(azurite.connection_string, container) as c:
        await c.create_container()
        keys = ("auth/t1", "webchat/users/u1", "webchat/conversations/c1", "slack/users/u2")
        for key in keys:
            await c.upload_blob(key, b'{"UserProfile": {"name": "Ada"}}')
    png = tmp_path / "blob.png"
    result = run(
        tmp_path,
        "gui",
        f"blob://{container}",
        "--connection-string",
        azurite.connection_string,
        "--screenshot",
        str(png),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.stat().st_size > 10_000
    assert report_of(result)["selected"] == "slack/users/u2"
    goto = run(
        tmp_path,
        "gui",
        f"blob://{container}",
        "--connection-string",
        azurite.connection_string,
        "--goto",
        "webchat/conversations/c1",
        "--screenshot",
        str(png),
    )
    assert goto.returncode == 0, goto.stderr[-2000:]
    assert report_of(goto)["selected"] == "webchat/conversations/c1"


def test_no_display_is_one_clear_line_not_a_qt_abort(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env["BOTSTATE_EXPLORER_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "explorer", "--demo"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "botstate-explorer: error: no display found: set DISPLAY (or WAYLAND_DISPLAY), "
        "or use --screenshot/--self-test, which run offscreen"
    ]


def test_a_missing_qt_platform_library_is_named_with_its_package() -> None:
    from explorer.ui.display import PACKAGES, _xcb_plugin, display_problem, missing_libraries

    plugin = _xcb_plugin()
    found = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True)
    missing = [line.split("=>")[0].strip() for line in found.stdout.splitlines()
               if "not found" in line]  # fmt: skip
    assert missing_libraries(plugin) == list(dict.fromkeys(missing))
    problem = display_problem({"DISPLAY": ":99"}, "linux")
    if not missing:  # a desktop with every library: nothing to say
        assert problem is None
        return
    assert problem is not None
    for name in missing:
        assert name in problem
        assert PACKAGES.get(name, name) in problem
    assert display_problem({"DISPLAY": ":99", "QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "darwin") is None


def test_the_band_says_why_a_store_is_read_only(qtbot: Any) -> None:
    from explorer.storage import MemoryStorage
    from explorer.ui.connections import Connection
    from explorer.ui.window_parts import EnvironmentBand
    from explorer.workspace.tree import StateTree

    store = MemoryStorage(read_only=True)
    store.read_only_reason = "its SAS grants only 'rl' (no 'w', write)"
    node = StateTree().add_connection("c", store, environment="dev")
    band = EnvironmentBand()
    qtbot.addWidget(band)
    band.show_connection(Connection(Profile("c", "memory"), None, store, node))
    assert "DEV · read-only" in band.text()
    assert "read-only because its SAS grants only &#x27;rl&#x27; (no &#x27;w&#x27;" in band.text()
