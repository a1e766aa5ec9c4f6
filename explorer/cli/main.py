"""Command-line entry point (filled in by the CLI work)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(f"botstate-explorer: not yet implemented: {args}", file=sys.stderr)
    return 2
