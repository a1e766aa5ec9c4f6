"""Checks and figures for the Linux one-folder bundle (used by packaging/linux/build.sh).

``libs BUNDLE``: runs ``ldd`` on every ELF file in the bundle with the bundle's
library folders first on the search path, as the bootloader arranges. It fails
(exit 1) when a library that PyInstaller would have bundled resolves outside
the bundle, or is missing from it but present on this host or in PySide6: the
spec's trimming dropped something a kept file links. Libraries
missing on this host altogether (e.g. the X11 helpers of the xcb plugin on a
headless machine) are listed as warnings: PyInstaller could not bundle them
either, and desktops that use that plugin have them.

``timing RUNS -- CMD... [-- CMD...]``: runs the commands in turn for RUNS rounds,
each run a fresh process, and prints each one's first run and median wall time. Exit status
1 if any run of any command failed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def _host_libraries() -> dict[str, str]:
    """Shared libraries this host could have bundled: the ld cache and PySide6's own."""
    found: dict[str, str] = {}
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False)
    for line in cache.stdout.splitlines()[1:]:
        name, _, path = line.strip().partition(" => ")
        found.setdefault(name.split(" (")[0], path)
    try:
        import PySide6
    except ImportError:
        return found
    for path in (Path(PySide6.__file__).parent / "Qt" / "lib").glob("*.so*"):
        found.setdefault(path.name, str(path))
    return found


def check_libs(bundle: Path) -> int:
    from PyInstaller.depend.dylib import include_library

    internal = bundle / "_internal"
    lib_dirs = [internal, internal / "PySide6" / "Qt" / "lib"]
    env = {**os.environ, "LD_LIBRARY_PATH": ":".join(map(str, lib_dirs))}
    leaked: dict[str, set[str]] = {}
    missing: dict[str, set[str]] = {}
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink() and _is_elf(p)]
    for path in files:
        out = subprocess.run(
            ["ldd", str(path)], env=env, capture_output=True, text=True, check=False
        ).stdout
        rel = str(path.relative_to(bundle))
        for line in out.splitlines():
            name, arrow, target = line.strip().partition(" => ")
            if not arrow:
                continue
            if target.startswith("not found"):
                missing.setdefault(name, set()).add(rel)
                continue
            resolved = target.split(" (")[0]
            if not resolved.startswith(str(bundle)) and include_library(name):
                leaked.setdefault(f"{name} ({resolved})", set()).add(rel)
    available = _host_libraries()
    for name, users in sorted(missing.items()):
        needed_by = ", ".join(sorted(users))
        if name in available:
            leaked[f"{name} ({available[name]})"] = users
        else:
            print(f"warning: {name} is not on this host (needed by {needed_by})")
    for name, users in sorted(leaked.items()):
        print(f"error: {name} is not in the bundle but {', '.join(sorted(users))} links it")
    print(f"checked {len(files)} ELF files: {len(leaked)} libraries missing from the bundle")
    return 1 if leaked else 0


def timing(runs: int, commands: list[list[str]]) -> int:
    """Run the commands in turn, ``runs`` rounds, so machine load hits them alike."""
    failed = False
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for command, spent in zip(commands, times, strict=True):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            spent.append(time.perf_counter() - start)
            if done.returncode != 0:
                failed = True
                print(f"FAILED ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    for command, spent in zip(commands, times, strict=True):
        median = statistics.median(spent)
        print(
            f"{' '.join(command)}\n    first {spent[0]:.2f} s, median {median:.2f} s"
            f" of {runs} runs (min {min(spent):.2f}, max {max(spent):.2f})"
        )
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "libs":
        return check_libs(Path(argv[1]).resolve())
    if len(argv) >= 4 and argv[0] == "timing" and argv[2] == "--":
        commands: list[list[str]] = [[]]
        for arg in argv[3:]:
            if arg == "--":
                commands.append([])
            else:
                commands[-1].append(arg)
        return timing(int(argv[1]), [c for c in commands if c])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
