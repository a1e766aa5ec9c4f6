"""Packaging inputs: metadata from pyproject.toml and the generated icon files.

The bundle itself is built and self-tested by packaging/linux/build.sh (run by
.ci/run); these tests check what every platform's build reads.
"""

from __future__ import annotations

import struct
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import appmeta  # noqa: E402


def test_metadata_comes_from_pyproject() -> None:
    meta = appmeta.load()
    assert meta.name == "botstate-explorer"
    assert meta.display_name == "Bot State Explorer"
    assert meta.version == version("botstate-explorer")
    assert meta.bundle_id.count(".") >= 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2", (1, 2, 0, 0)),
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2.3rc1", (1, 2, 3, 0)),
        ("2024.11.25.7.9", (2024, 11, 25, 7)),
        ("1.0.post2+local", (1, 0, 0, 0)),
    ],
)
def test_windows_version_tuple(text: str, expected: tuple[int, int, int, int]) -> None:
    meta = appmeta.AppMeta("n", "N", text, "", "a.b.c", "p")
    assert meta.version_tuple == expected


def test_ico_holds_every_size_as_png() -> None:
    data = (ROOT / "resources" / "app.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind) == (0, 1)
    sizes = set()
    for i in range(count):
        entry = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        width, height, length, offset = entry[0], entry[1], entry[6], entry[7]
        sizes.add((width or 256, height or 256))
        assert data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + length <= len(data)
    assert sizes == {(s, s) for s in (16, 24, 32, 48, 64, 128, 256)}


def test_icns_holds_retina_sizes_up_to_1024() -> None:
    data = (ROOT / "resources" / "app.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack_from(">I", data, 4)[0] == len(data)
    kinds, pos = {}, 8
    while pos < len(data):
        kind, length = struct.unpack_from(">4sI", data, pos)
        kinds[kind.decode()] = data[pos + 8 : pos + length]
        pos += length
    # ic10: 512@2x (1024 px), ic09: 512, ic08: 256, ic07: 128, ic14: 256@2x, ic13: 128@2x
    for kind in ("ic10", "ic09", "ic08", "ic07", "ic14", "ic13"):
        assert kinds[kind][:8] == b"\x89PNG\r\n\x1a\n", kind


def test_master_png_is_1024_square() -> None:
    header = (ROOT / "resources" / "app.png").read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1024, 1024)


def test_spec_and_scripts_use_the_same_spec_and_resources() -> None:
    spec = "packaging/botstate-explorer.spec"
    for script in ("linux/build.sh", "macos/build.sh", "windows/build.ps1"):
        text = (ROOT / "packaging" / script).read_text(encoding="utf-8")
        assert spec.replace("/", "\\") in text or spec in text, script
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    for script in ("bash .ci/run", "packaging/windows/build.ps1", "packaging/macos/build.sh"):
        assert script in workflow
    iss = (ROOT / "packaging" / "windows" / "installer.iss").read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in iss
    assert "resources\\app.ico" in iss
