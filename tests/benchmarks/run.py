"""Benchmark runner: ``python tests/benchmarks/run.py [--quick] [--only NAME ...]``.

Benchmarks are not timed tests. Each one measures this project against a peer
in the same run (the raw Azure SDK, botbuilder-python) and reports a ratio.
Every ``bench_*.py`` module beside this file registers its benchmarks with
``@benchmark("name")``; a benchmark is an ``async def f(ctx) -> Result``.
The runner prints one JSON line per benchmark:
``{"name", "value", "unit", "detail"}``.

Every ``Result`` carries ``runs``: the benchmark's value in each repeat (for a
ratio, the ratio of each repeat's pair, ``paired``; the value itself is
``ratio`` of the medians). The runner adds ``repeats`` and ``spread`` ([min,
max] of ``runs``) to the detail, so each line shows how far one repeat can be
from the value.

``--quick`` (``Context.pick(quick, full)``) is meant to give each value within
10% of the full run's: it keeps every size that a value depends on (the blobs
in Azurite, a listing's pages, a read-many's ids, the keys in the window, the
state's size) and times fewer operations only where a ratio does not depend on
their number, in fewer repeats only where a repeat takes minutes; a benchmark
that takes a minute or less measures the same. Each module names its figures.
On a shared machine two runs of the same mode can differ by more than 10%:
``spread`` shows it.

Emulators and the botbuilder-python venv are set up on first use by
``tests.support`` (``npm ci`` and ``pip`` from the package registries), as for
the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if __name__ == "__main__":
    # bench modules import `tests.benchmarks.run`: make that this module, so
    # their @benchmark registers in the REGISTRY that main() reads
    sys.modules.setdefault("tests.benchmarks.run", sys.modules[__name__])


@dataclass
class Result:
    value: float
    unit: str
    detail: dict[str, Any] = field(default_factory=dict)
    #: the value as measured in each repeat (its spread goes into the detail)
    runs: list[float] = field(default_factory=list)


T = TypeVar("T")


@dataclass
class Context:
    quick: bool
    #: shared, lazily started resources (emulators, venvs) keyed by name
    resources: dict[str, Any] = field(default_factory=dict)
    cleanups: list[Callable[[], Any]] = field(default_factory=list)

    def pick(self, quick: T, full: T) -> T:
        """``quick`` with ``--quick``, else ``full`` (sizes, repeats)."""
        return quick if self.quick else full


Bench = Callable[[Context], Awaitable[Result]]
REGISTRY: dict[str, Bench] = {}


def benchmark(name: str) -> Callable[[Bench], Bench]:
    def register(fn: Bench) -> Bench:
        REGISTRY[name] = fn
        return fn

    return register


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def ratio(top: Sequence[float], bottom: Sequence[float], digits: int = 3) -> float:
    """``median(top) / median(bottom)``, rounded: the value of a ratio benchmark."""
    return round(median(top) / median(bottom), digits)


def paired(top: Sequence[float], bottom: Sequence[float]) -> list[float]:
    """The ratio of each repeat, ``top[i] / bottom[i]`` (a ratio benchmark's ``runs``).

    The two sides of a repeat run back to back, so a busy moment of the machine
    slows both: this is the spread of the ratio, not of either side.
    """
    assert len(top) == len(bottom) > 0, (len(top), len(bottom))
    return [t / b for t, b in zip(top, bottom, strict=True)]


def spread(runs: Sequence[float], digits: int = 3) -> list[float]:
    """``[min, max]`` of ``runs``, rounded."""
    return [round(min(runs), digits), round(max(runs), digits)]


async def probe(module: str, *args: str) -> dict[str, Any]:
    """Run ``python -m tests.benchmarks.<module> ARGS`` in a fresh offscreen-Qt process.

    The repository is its working directory and ``PYTHONPATH``. Returns the
    JSON object on the last line of its stdout; a non-zero exit raises
    ``RuntimeError`` with the end of its stderr.
    """
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"tests.benchmarks.{module}",
        *args,
        cwd=str(ROOT),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{module} failed: {err.decode()[-1500:]}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def _load_modules() -> None:
    for path in sorted(HERE.glob("bench_*.py")):
        importlib.import_module(f"tests.benchmarks.{path.stem}")


async def _run(names: list[str], ctx: Context) -> int:
    failures = 0
    try:
        for name in names:
            started = time.perf_counter()
            try:
                result = await REGISTRY[name](ctx)
                if not result.runs:
                    raise RuntimeError(f"{name} gave no runs: each benchmark reports its spread")
            except Exception as exc:  # report and go on with the others
                failures += 1
                traceback.print_exc(file=sys.stderr)
                line: dict[str, Any] = {
                    "name": name,
                    "value": None,
                    "unit": "",
                    "detail": {"error": repr(exc)},
                }
            else:
                detail = {
                    **result.detail,
                    "repeats": len(result.runs),
                    "spread": spread(result.runs),
                    "wall_s": round(time.perf_counter() - started, 2),
                }
                line = {"name": name, "value": result.value, "unit": result.unit, "detail": detail}
            print(json.dumps(line), flush=True)
    finally:
        for cleanup in reversed(ctx.cleanups):
            outcome = cleanup()
            if asyncio.iscoroutine(outcome):
                await outcome
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run just these benchmarks")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    _load_modules()
    if args.list:
        print("\n".join(sorted(REGISTRY)))
        return 0
    names = args.only or sorted(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        known = ", ".join(sorted(REGISTRY))
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {known}")
    return asyncio.run(_run(names, Context(quick=args.quick)))


if __name__ == "__main__":
    raise SystemExit(main())
