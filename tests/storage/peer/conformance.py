"""botbuilder-testing 4.17.1's ``StorageBaseTests`` on one of OUR storages (botbuilder venv).

``python conformance.py SPEC_JSON``: runs each of the suite's tests as
botbuilder's own test files do (every test on a fresh, empty storage: a new
memory store, a new SQLite file, a new blob container, a new Cosmos container)
and prints ``{"results": {test: "passed" | the failure}}``. A test passes when
it returns True without raising, which is how botbuilder's storage tests use
the suite.
"""

import asyncio
import copy
import inspect
import json
import sys
import traceback
import uuid

from bbstores import open_storage
from botbuilder.testing import StorageBaseTests


def fresh(spec, name):
    """``spec`` pointing at an empty place for test ``name``."""
    spec = copy.deepcopy(spec)
    unique = f"{name.replace('_', '-')[:40]}-{uuid.uuid4().hex[:8]}"
    if spec["kind"] == "sqlite":
        spec["path"] = f"{spec['path']}.{name}.db"
    elif spec["kind"] in ("blob", "cosmos"):
        spec["container"] = unique
    return spec


async def main(spec):
    results = {}
    tests = sorted(
        name
        for name, member in inspect.getmembers(StorageBaseTests)
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    )
    for name in tests:
        try:
            async with open_storage(fresh(spec, name)) as storage:
                passed = await getattr(StorageBaseTests, name)(storage)
            results[name] = "passed" if passed is True else f"returned {passed!r}"
        except BaseException:  # pytest.fail raises a BaseException; report it, run the rest
            results[name] = traceback.format_exc()
    print(json.dumps({"results": results}))


asyncio.run(main(json.loads(sys.argv[1])))
