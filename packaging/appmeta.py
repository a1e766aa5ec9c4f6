"""Name, version and installer metadata of the app, read from pyproject.toml.

pyproject.toml is the one source: ``[project]`` gives the distribution name,
version and description, ``[tool.botstate-explorer.app]`` the display name,
macOS bundle id and publisher. The PyInstaller spec imports this module; the
build scripts print single values with::

    python packaging/appmeta.py version        # 0.1.0
    python packaging/appmeta.py display_name   # Bot State Explorer

Only the standard library is used, so any Python 3.11+ can run it before the
project's dependencies are installed.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class AppMeta:
    name: str  # distribution and executable name: botstate-explorer
    display_name: str  # Bot State Explorer
    version: str  # PEP 440, as in pyproject
    description: str
    bundle_id: str
    publisher: str

    @property
    def version_tuple(self) -> tuple[int, int, int, int]:
        """The numeric release as four integers for Windows file version info.

        ``1.2`` -> ``(1, 2, 0, 0)``; pre/post/dev/local parts are dropped
        (``1.2.3rc1`` -> ``(1, 2, 3, 0)``), since Windows versions are numbers only.
        """
        match = re.match(r"\d+(?:\.\d+)*", self.version)
        if match is None:
            raise ValueError(f"version {self.version!r} in pyproject.toml has no numeric release")
        parts = [int(p) for p in match.group(0).split(".")][:4]
        a, b, c, d = (*parts, 0, 0, 0, 0)[:4]
        return (a, b, c, d)

    @property
    def version_numeric(self) -> str:
        return ".".join(str(n) for n in self.version_tuple)


def load(pyproject: Path = ROOT / "pyproject.toml") -> AppMeta:
    """Read ``pyproject``; a missing key raises KeyError naming it."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data["project"]
    app = data["tool"]["botstate-explorer"]["app"]
    return AppMeta(
        name=project["name"],
        display_name=app["display-name"],
        version=project["version"],
        description=project.get("description", ""),
        bundle_id=app["bundle-id"],
        publisher=app["publisher"],
    )


def main(argv: list[str]) -> int:
    meta = load()
    values = {**asdict(meta), "version_numeric": meta.version_numeric}
    if len(argv) != 1 or argv[0] not in values:
        print(f"usage: appmeta.py {{{','.join(values)}}}", file=sys.stderr)
        return 2
    print(values[argv[0]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
