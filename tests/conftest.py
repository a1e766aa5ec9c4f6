"""Root test configuration.

Emulator and peer fixtures live in ``tests/support`` and are loaded as plugins
below, so every test package (and the benchmarks) share one way to start them.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins: list[str] = [
    "tests.support.azurite",
    "tests.support.cosmos_emulator",
    "tests.support.local_stores",
]
