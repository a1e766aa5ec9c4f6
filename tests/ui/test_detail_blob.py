"""The detail pane on a real Azure Blob container (Azurite) holding what botbuilder-python wrote.

Edit in the JSON editor, review the exact bytes, save with the etag, and hit a
412 when the "bot" writes the blob meanwhile. The bodies come from
``tests/fixtures/python-blobstorage.json`` (a real dump).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import ContainerClient

from explorer.storage.blob import from_url
from explorer.ui.detail.pane import DetailPane
from explorer.ui.dialogs.conflict import ConflictDialog
from explorer.ui.dialogs.save import SaveDialog
from explorer.ui.pending import PendingEdits
from tests.support.azurite import Azurite
from tests.ui.detail_support import next_emit, safe_writer

pytestmark = pytest.mark.emulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
KEY = "msteams/users/user-1"


@pytest.fixture
async def container(azurite: Azurite) -> AsyncIterator[ContainerClient]:
    async with azurite.new_container("detail") as client:
        items = json.loads((FIXTURES / "python-blobstorage.json").read_text())["items"]
        for item in items:
            await client.upload_blob(
                item["name"],
                item["body"].encode(),
                content_settings=ContentSettings(content_type=item["content_type"]),
            )
        yield client


async def blob_body(client: ContainerClient, name: str) -> bytes:
    stream = await client.download_blob(name)
    return bytes(await stream.readall())


async def test_edit_review_and_save_keep_the_python_form(
    azurite: Azurite, container: ContainerClient, tmp_path: Path, qtbot: Any
) -> None:
    original = await blob_body(container, KEY)
    writer = safe_writer(tmp_path)
    pane = DetailPane(PendingEdits(writer), backups=writer.backups, audit=writer.audit)
    qtbot.addWidget(pane)
    url = f"blob://{container.container_name}"
    async with from_url(url, connection_string=azurite.connection_string) as store:
        await pane.open_item(store, KEY)
        assert pane.model.index(0, 1).data() == "bbmodels.UserProfile"
        assert "e_tag" not in [pane.model.name_at(r) for r in range(pane.model.rowCount())]
        pane.select_property("UserProfile")
        profile = json.loads(pane.editor.text_value())
        profile["age"] = 39
        pane.editor.set_text(json.dumps(profile, indent=2))
        assert pane.editor.apply()
        session = pane.session
        assert session is not None

        opened = asyncio.ensure_future(next_emit(pane.pending.review_opened))
        task = asyncio.ensure_future(pane.pending.save_all(None))
        dialog: SaveDialog = await opened
        diff = session.diff()
        stale = json.loads(original)["e_tag"]
        # the real bytes: the age, and the stale e_tag botbuilder-python keeps in the body
        changed = [row for row in dialog.diff.rows if row.kind != "equal"]
        assert [(r.left or "").strip() for r in changed] == [
            '"age": 38',
            f'"e_tag": "{stale}",',
        ]
        assert [(r.right or "").strip() for r in changed] == [
            '"age": 39',
            f'"e_tag": "{diff.etag}",',
        ]
        assert diff.old_body == original
        assert diff.new_body is not None
        assert b'"age": 39' in diff.new_body  # jsonpickle's ", " separators kept
        dialog.save_all.click()
        assert await asyncio.wait_for(task, 20) is True

        stored = await blob_body(container, KEY)
        expected = original.decode().replace('"age": 38', '"age": 39', 1)
        expected = expected.replace(f'"e_tag": "{stale}"', f'"e_tag": "{diff.etag}"')
        assert stored.decode() == expected
        history = await writer.backups.history(store.url, KEY)
        assert [b.body for b in history] == [original]


async def test_a_bot_write_meanwhile_is_a_conflict_not_an_overwrite(
    azurite: Azurite, container: ContainerClient, tmp_path: Path, qtbot: Any
) -> None:
    writer = safe_writer(tmp_path)
    pane = DetailPane(PendingEdits(writer), backups=writer.backups, audit=writer.audit)
    qtbot.addWidget(pane)
    url = f"blob://{container.container_name}"
    async with from_url(url, connection_string=azurite.connection_string) as store:
        await pane.open_item(store, KEY)
        assert pane.session is not None
        pane.session.set_property("extra", 2)
        bot_body = (await blob_body(container, KEY)).replace(b'"extra": 1', b'"extra": 7')
        await container.upload_blob(KEY, bot_body, overwrite=True)  # the bot's turn
        opened = asyncio.ensure_future(next_emit(pane.pending.conflict_opened))
        task = asyncio.ensure_future(pane.pending.save_session(pane.session))
        dialog: ConflictDialog = await opened
        assert dialog.headline.text() == f"Someone changed {KEY} since you loaded it."
        dialog.reload_button.click()
        assert await asyncio.wait_for(task, 20) is False
        assert await blob_body(container, KEY) == bot_body  # theirs kept
        assert pane.session.draft["extra"] == 7
        assert pane.session.aside is not None
        assert pane.session.aside["extra"] == 2
