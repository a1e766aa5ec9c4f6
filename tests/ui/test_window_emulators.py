"""The window on the Azure emulators: Blob (Azurite, listed per node) and Cosmos DB.

The stores are filled through our own backends in the forms real bots write
(python blob names with ``/`` folders, js flat ``%2F`` names, cosmos ids
escaped ``*2f``) and then opened through a saved-profile path, as a user would.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from explorer.storage.registry import open_store
from explorer.ui.models import roles
from explorer.workspace.profiles import Profile
from explorer.workspace.tree import LoadState, Node, NodeKind
from tests.support.cosmos_emulator import Emulator
from tests.ui.window_support import until

pytestmark = pytest.mark.emulator

KEYS = [
    "msteams/users/29:1AbC-long-teams-user-id-0123456789",
    "msteams/users/29:1XyZ",
    "msteams/conversations/a:1Q;messageid=17",
    "msteams/conversations/a:1Q;messageid=17/users/29:1XyZ",
    "webchat/users/dl_42",
    "webchat/conversations/Kx1|livechat",
]


async def fill(url: str, **options: Any) -> None:
    async with open_store(url, create_container=True, **options) as store:
        await store.write({key: {"Profile": {"n": i}} for i, key in enumerate(KEYS)})


def child(node: Node, label: str) -> Node:
    return next(c for c in node.children if c.label == label)


async def expand(window: Any, node: Node) -> None:
    window.view.expand(window.model.index_of(node))
    await until(lambda: node.load_state is LoadState.LOADED)


@pytest.mark.parametrize("dialect", ["python", "js"])
async def test_blob_lists_per_node_and_goes_to_unlisted_keys(
    window: Any, azurite: Any, blob_container: str, dialect: str
) -> None:
    cs = azurite.connection_string
    await fill(f"blob://{blob_container}", connection_string=cs, dialect=dialect)
    profile = Profile("azurite", "blob", "dev", {"container": blob_container})
    window.connect_profile(profile, cs)
    conn = (await until(lambda: window.manager.connections))[0]
    await until(lambda: conn.node.load_state is LoadState.LOADED)
    assert conn.node.prefix == ""  # listed per node, not scanned
    assert [c.label for c in conn.node.children] == ["msteams", "webchat"]
    teams = child(conn.node, "msteams")
    assert teams.children == []  # nothing below a channel is listed before it is opened
    await expand(window, teams)
    assert [c.label for c in teams.children] == ["Users", "Conversations"]
    users = child(teams, "Users")
    await expand(window, users)
    assert sorted(c.label for c in users.children) == sorted(
        ["29:1AbC-long-teams-user-id-0123456789", "29:1XyZ"]
    )
    assert child(conn.node, "webchat").children == []
    # go to reads the key directly: webchat was never listed
    window.toolbar.goto_edit.setText("dl_42")
    window.toolbar.goto_edit.returnPressed.emit()
    await until(lambda: window.view.currentIndex().data(roles.KEY_ROLE) == "webchat/users/dl_42")
    await until(lambda: window.detail.key == "webchat/users/dl_42")
    assert window.status.tls_label.text() == "⚠ HTTP, no TLS"  # Azurite speaks plain HTTP


async def _cosmos_with_state(cosmos_emulator: Emulator, database: str) -> dict[str, str]:
    """A container of ``KEYS`` (js ids); the settings of a profile for it."""
    async with cosmos_emulator.client() as client:
        await client.create_database(database)  # bots create only the container
    await fill(f"cosmos://{database}/state", dialect="js", **cosmos_emulator.store_options)
    return {"endpoint": cosmos_emulator.endpoint, "database": database, "container": "state"}


async def _connected(window: Any, profile: Profile, secret: str) -> Any:
    """Connect ``profile`` as a user would; the connection, once its top level is listed."""
    window.connect_profile(profile, secret)
    conn = (await until(lambda: window.manager.connections))[0]
    await until(lambda: conn.node.load_state is LoadState.LOADED, within=30)
    return conn


async def test_cosmos_lists_everything_and_goes_to_escaped_ids(
    window: Any, cosmos_emulator: Emulator, cosmos_database: str
) -> None:
    settings = await _cosmos_with_state(cosmos_emulator, cosmos_database)
    profile = Profile("emulator", "cosmos", "test", settings, insecure=True)
    conn = await _connected(window, profile, cosmos_emulator.key)
    assert conn.node.count == len(KEYS)
    teams = child(conn.node, "msteams")
    assert teams.count == 4
    conversation = next(n for n in teams.walk() if n.kind is NodeKind.CONVERSATION)
    assert [c.label for c in conversation.children] == ["private: 29:1XyZ"]
    window.toolbar.goto_edit.setText("msteams*2fconversations*2fa:1Q;messageid=17*2f")
    window.toolbar.goto_edit.returnPressed.emit()
    key = "msteams/conversations/a:1Q;messageid=17"
    await until(lambda: window.view.currentIndex().data(roles.KEY_ROLE) == key)
    await until(lambda: window.detail.key == key)
    assert window.status.tls_label.text() == "⚠ TLS checks off"
    assert window.status.charge_label.text().startswith("RU ")
    assert "TEST" in window.band.text()


async def test_the_status_bar_shows_the_request_units_of_the_session(
    window: Any, cosmos_emulator: Emulator, cosmos_database: str
) -> None:
    from explorer.ui.window_parts import CHARGE_REFRESH_MS

    settings = await _cosmos_with_state(cosmos_emulator, cosmos_database)
    profile = Profile("emulator", "cosmos", "dev", settings, insecure=True)
    conn = await _connected(window, profile, cosmos_emulator.key)
    label = window.status.charge_label

    def shown() -> float:
        text = label.text()
        assert text.startswith("RU ")
        assert text.endswith(" this session (cap 100 RU/s)")
        return float(text.split()[1].replace(",", ""))

    spent = conn.session_request_units()
    assert spent > 0  # opening and listing cost request units
    await until(lambda: shown() == round(conn.session_request_units()))
    assert "100 RU/s" in label.toolTip()
    # requests made after: the label follows on its timer, not per request
    updates: list[str] = []
    set_text = label.setText
    label.setText = lambda text: (updates.append(text), set_text(text))  # type: ignore[method-assign]
    started = asyncio.get_running_loop().time()
    for _ in range(3):
        await conn.store.read(KEYS)  # several requests, as a scan would make
    await until(lambda: shown() == round(conn.session_request_units()))
    assert shown() > round(spent)
    elapsed = asyncio.get_running_loop().time() - started
    assert len(updates) <= elapsed * 1000 / CHARGE_REFRESH_MS + 2


async def test_the_ru_cap_set_in_the_dialog_is_saved_and_reaches_the_store(
    qtbot: Any, window: Any, cosmos_emulator: Emulator, cosmos_database: str, tmp_path: Any
) -> None:
    from explorer.storage.abilities import Abilities
    from explorer.ui.connection_dialog import ConnectionDialog
    from explorer.workspace.profiles import ProfileStore

    settings = await _cosmos_with_state(cosmos_emulator, cosmos_database)
    window.toolbar.connect_action.trigger()
    dialog = await until(lambda: window.findChild(ConnectionDialog))
    dialog._new()
    dialog.kind.setCurrentIndex(dialog.kind.findData("cosmos"))
    assert dialog.cosmos_ru.isVisible()  # shown for Cosmos DB targets
    assert dialog.cosmos_ru.value() == 100  # the store's default
    dialog.name.setText("capped")
    dialog.cosmos_endpoint.setText(settings["endpoint"])
    dialog.cosmos_database.setText(settings["database"])
    dialog.cosmos_container.setText(settings["container"])
    dialog.cosmos_secret.setText(cosmos_emulator.key)
    dialog.cosmos_insecure.setChecked(True)
    dialog.cosmos_ru.setValue(250)
    dialog.connect_button.click()
    conn = (await until(lambda: window.manager.connections))[0]
    budget = Abilities.of(conn.store).budget
    assert budget is not None
    assert budget.ru_per_second == 250
    await until(lambda: "(cap 250 RU/s)" in window.status.charge_label.text())
    await until(lambda: conn.node.load_state is LoadState.LOADED, within=30)
    await window.manager.close_all()
    # saved: reopened from the connections file, the store gets the same cap
    saved = ProfileStore(tmp_path / "data" / "connections.json").get("capped")
    assert saved is not None
    assert saved.settings["ru_per_second"] == "250"
    window.connect_profile(saved, cosmos_emulator.key)
    reopened = (await until(lambda: window.manager.connections))[0]
    again = Abilities.of(reopened.store).budget
    assert again is not None
    assert again.ru_per_second == 250
    await until(lambda: reopened.node.load_state is LoadState.LOADED, within=30)
    # and the dialog shows it back; 0 means no cap
    dialog.set_profile(saved)
    assert dialog.cosmos_ru.value() == 250
    dialog.cosmos_ru.setValue(0)
    assert dialog.cosmos_ru.text() == "no cap"
    assert Profile.from_dict(dialog.profile().to_dict()).store_options(None)["ru_per_second"] == "0"


async def test_the_band_shows_a_legacy_cosmos_containers_warnings(
    window: Any, cosmos_emulator: Emulator, cosmos_database: str
) -> None:
    from azure.cosmos import PartitionKey

    from explorer.storage.cosmos_layout import NOTES

    async with cosmos_emulator.client() as client:
        database = await client.create_database(cosmos_database)
        container = await database.create_container("legacy", PartitionKey(path="/_partitionKey"))
        await container.create_item(
            {"id": "webchat*47users*47dl_42", "realId": "webchat/users/dl_42", "document": {}}
        )
    settings = {"endpoint": cosmos_emulator.endpoint, "database": cosmos_database}
    settings["container"] = "legacy"
    profile = Profile("old bot", "cosmos", "test", settings, insecure=True)
    conn = await _connected(window, profile, cosmos_emulator.key)
    assert conn.node.count == 1
    # what the CLI prints on open, the window shows: first one shortened, the rest counted
    text = window.band.text()
    assert "⚠ legacy container (partition key /_partitionKey) (+1 more)" in text, text
    tip = window.band.toolTip()
    assert f"• {NOTES['legacy']}" in tip
    assert f"• {NOTES['tls']}" in tip


async def test_the_band_says_a_read_only_sas_once(
    window: Any, azurite: Any, blob_container: str
) -> None:
    """The store's warning "opened read-only: its SAS..." is the band's own read-only
    reason: said once, and no other warning is shown."""
    from tests.cli.test_sas import _sas_connection

    await fill(f"blob://{blob_container}", connection_string=azurite.connection_string)
    profile = Profile("sas", "blob", "dev", {"container": blob_container})
    window.connect_profile(profile, _sas_connection(azurite, blob_container, "rl"))
    conn = (await until(lambda: window.manager.connections))[0]
    await until(lambda: conn.node.load_state is LoadState.LOADED)
    assert any("opened read-only" in w for w in conn.store.warnings)
    text = window.band.text()
    assert text.count("its SAS grants only") == 1, text
    assert "⚠" not in text
    assert window.band.toolTip() == ""
