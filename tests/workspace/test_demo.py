"""The demo generator: realistic, deterministic, every dialect and odd id; the demo store helper."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from explorer.state.dialogs import read_stack, stack_form
from explorer.state.keys import parse_key
from explorer.storage import open_store
from explorer.workspace.demo import CHANNELS, demo_items, ensure_demo_store, ensure_demo_store_async


def test_deterministic_per_seed() -> None:
    assert demo_items(1) == demo_items(1)
    assert demo_items(1) != demo_items(2)
    assert len(demo_items(1, users=10, conversations=4)) < len(demo_items(1))


def test_hundreds_of_users_and_conversations_on_every_channel() -> None:
    items = demo_items()
    infos = [parse_key(i.key) for i in items]
    kinds = Counter(i.kind for i in infos)
    assert kinds["user"] >= 300
    assert kinds["conversation"] >= 200
    assert kinds["private"] >= 100
    assert kinds["other"] >= 10
    assert {i.channel for i in infos} >= set(CHANNELS)
    assert any(i.agent for i in infos)  # Agents SDK app keys
    assert len({i.key for i in items}) == len(items)


def test_every_body_is_a_json_object_in_its_dialect_form() -> None:
    forms: Counter[str] = Counter()
    for item in demo_items():
        text = item.body.decode("utf-8")
        doc = json.loads(text)
        assert isinstance(doc, dict)
        if item.dialect == "python":
            assert item.content_type == "application/octet-stream"
            assert ", " in text or len(doc) == 1
            assert "e_tag" in doc
        elif item.dialect == "dotnet":
            assert next(iter(doc)) == "$type"  # .NET needs $type first
            assert text == json.dumps(doc, ensure_ascii=False, separators=(",", ":"))  # minified
        if "DialogState" in doc:
            form = stack_form(doc)
            assert form is not None
            forms[str(form)] += 1
            frames = read_stack(doc)
            assert frames
            assert all(f.id for f in frames)
    assert len(forms) == 3, forms  # python, js and .NET stacks
    bodies = b"".join(i.body for i in demo_items())
    assert b'"py/reduce"' in bodies  # pickled prompt enums, kept inert
    assert b'"$values"' in bodies


def test_odd_ids_are_present() -> None:
    keys = [i.key for i in demo_items()]
    assert any(k.startswith("msteams/users/29:1") for k in keys)
    assert any(";messageid=17" in k for k in keys)
    assert any("|livechat" in k for k in keys)
    assert any("🚀" in k and " " in k for k in keys)
    assert any(all(c in k for c in "?#*\\") for k in keys)
    assert any("%zz" in k for k in keys)
    assert any("\t" in k for k in keys)
    assert any(k.startswith("msteams:COPILOT/") for k in keys)
    assert any(k.startswith("auth:_SignInState:") for k in keys)


async def test_ensure_demo_store_creates_once_and_keeps_edits(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "demo.db"
    url = await ensure_demo_store_async(path)
    assert url == f"sqlite:{path}"
    async with open_store(url) as store:
        keys = [k async for k in store.iter_keys()]
        assert len(keys) == len(demo_items())
        await store.delete_raw(keys[0])
    assert ensure_demo_store(path) == url  # existing file: opened as it is
    async with open_store(url) as store:
        assert len([k async for k in store.iter_keys()]) == len(keys) - 1
    assert not path.with_name("demo.db.partial").exists()


def test_ensure_demo_store_sync_before_any_loop(tmp_path: Path) -> None:
    url = ensure_demo_store(tmp_path / "demo.db", seed=3)
    assert (tmp_path / "demo.db").stat().st_size > 100_000
    assert url.startswith("sqlite:")
