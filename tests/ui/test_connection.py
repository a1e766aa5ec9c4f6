"""Connection profiles and the ConnectionDialog: keychain secrets, presets, test, connect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog

from explorer.app import build_window
from explorer.ui.connection_dialog import ConnectionDialog
from explorer.ui.tasks import TaskRunner
from explorer.workspace.profiles import KEYRING_SERVICE, Profile, ProfileStore
from explorer.workspace.tree import LoadState
from tests.support.keyrings import MemoryKeyring
from tests.ui.window_support import connector_at, make_store, settings_at, until

SECRET = "DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=c2VjcmV0LWtleQ==;"


@pytest.fixture
def profiles(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "connections.json")


@pytest.fixture
def dialog(qtbot: Any, profiles: ProfileStore, tmp_path: Path) -> ConnectionDialog:
    widget = ConnectionDialog(profiles, TaskRunner(), connector_at(tmp_path).check_profile)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_secrets_go_to_the_keychain_never_to_the_connections_file(
    profiles: ProfileStore, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    profile = Profile("contoso-prod", "blob", "prod", {"container": "botstate"})
    profiles.save(profile, SECRET)
    assert memory_keyring.passwords[(KEYRING_SERVICE, "contoso-prod")] == SECRET
    text = (tmp_path / "connections.json").read_text()
    assert "contoso-prod" in text
    assert "AccountKey" not in text
    assert "c2VjcmV0LWtleQ" not in text
    loaded = profiles.get("contoso-prod")
    assert loaded == profile
    assert profiles.secret("contoso-prod") == SECRET
    assert loaded.store_options(SECRET) == {"connection_string": SECRET}
    profiles.delete("contoso-prod")
    assert profiles.profiles() == []
    assert memory_keyring.passwords == {}


def test_entra_profiles_carry_no_secret() -> None:
    profile = Profile(
        "p", "cosmos", "prod", {"endpoint": "https://a:443/", "database": "d", "container": "c"}
    )
    profile.auth = "entra"
    assert profile.store_options("ignored") == {"endpoint": "https://a:443/"}
    assert profile.url() == "cosmos://d/c"
    assert profile.is_prod


def test_presets_fill_the_form(dialog: ConnectionDialog) -> None:
    names = [dialog.list.item(r).text() for r in range(dialog.list.count())]
    assert names == ["Presets", "Azurite (local)", "Cosmos emulator (local)", "Demo (in memory)"]
    assert dialog.profile().kind == "blob"  # the first preset is selected
    dialog.list.setCurrentRow(2)
    profile = dialog.profile()
    assert profile.kind == "cosmos"
    assert profile.insecure
    assert profile.settings["endpoint"].startswith("https://localhost:")
    assert dialog.secret()  # the emulator's public key comes with the preset
    dialog.list.setCurrentRow(1)
    assert dialog.profile().kind == "blob"
    assert "devstoreaccount1" in (dialog.secret() or "")


def test_environment_choice_explains_read_only(dialog: ConnectionDialog) -> None:
    dialog.environment.setCurrentIndex(dialog.environment.findData("prod"))
    assert "read-only" in dialog.env_note.text()
    assert dialog.profile().environment == "prod"


async def test_test_connection_reports_success_and_failure(
    dialog: ConnectionDialog, tmp_path: Path
) -> None:
    url = await make_store(tmp_path / "state.db", ["webchat/users/u1"])
    dialog._new()
    dialog.name.setText("local")
    dialog.sqlite_path.setText(url[7:])
    dialog.test_button.click()
    await until(lambda: "✓" in dialog.test_result.text())
    assert "webchat/users/u1" in dialog.test_result.text()
    assert dialog.test_button.isEnabled()
    (tmp_path / "folder").mkdir()
    dialog.sqlite_path.setText(str(tmp_path / "folder"))
    dialog.test_button.click()
    await until(lambda: "✗" in dialog.test_result.text())
    assert "folder" in dialog.test_result.text()


async def test_connect_saves_the_profile_and_opens_it(qtbot: Any, tmp_path: Path) -> None:
    url = await make_store(tmp_path / "state.db", ["webchat/users/u1", "webchat/users/u2"])
    window = build_window(settings_at(tmp_path / "settings.ini"), tmp_path / "data")
    qtbot.addWidget(window)
    window.show()
    window.toolbar.connect_action.trigger()
    dialog = await until(lambda: window.findChild(ConnectionDialog))
    dialog._new()
    dialog.name.setText("customer copy")
    dialog.sqlite_path.setText(url[7:])
    dialog.environment.setCurrentIndex(dialog.environment.findData("prod"))
    dialog.connect_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    conn = await until(lambda: window.manager.connections and window.manager.connections[0])
    await until(lambda: conn.node.load_state is LoadState.LOADED)
    assert conn.node.count == 2
    assert conn.store.read_only  # prod
    saved = ProfileStore(tmp_path / "data" / "connections.json").get("customer copy")
    assert saved is not None
    assert saved.environment == "prod"
    await window.manager.close_all()


async def test_demo_profile_opens_an_in_memory_demo(tmp_path: Path) -> None:
    store = await connector_at(tmp_path).open_profile(Profile("demo", "memory"), None, True)
    try:
        keys = [k async for k in store.iter_keys("")]
        assert len(keys) > 100
        assert store.read_only
    finally:
        await store.__aexit__(None, None, None)


def test_without_a_keychain_the_secret_stays_in_memory_only(
    profiles: ProfileStore, tmp_path: Path
) -> None:
    import keyring.backends.fail

    keyring.set_keyring(keyring.backends.fail.Keyring())
    profile = Profile("no-keychain", "cosmos", "dev", {"endpoint": "https://x/"})
    profiles.save(profile, "the-cosmos-key")
    assert profiles.keychain_problem is not None
    assert "session only" in profiles.keychain_problem
    assert profiles.secret("no-keychain") == "the-cosmos-key"
    assert "the-cosmos-key" not in (tmp_path / "connections.json").read_text()
    assert ProfileStore(tmp_path / "connections.json").secret("no-keychain") is None
    profiles.delete("no-keychain")
    assert profiles.secret("no-keychain") is None


async def test_entra_blob_profile_without_account_url_says_what_is_missing(
    tmp_path: Path,
) -> None:
    from explorer.core.errors import BackendUnavailableError

    profile = Profile("entra", "blob", "prod", {"container": "c"}, auth="entra")
    with pytest.raises(BackendUnavailableError, match="needs the account URL"):
        await connector_at(tmp_path).open_profile(profile, None, True)


def test_an_unreadable_connections_file_is_reported_and_kept(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "connections.json"
    path.write_text("{not json", encoding="utf-8")
    dialog = ConnectionDialog(
        ProfileStore(path), TaskRunner(), connector_at(tmp_path).check_profile
    )
    qtbot.addWidget(dialog)
    assert "cannot be read" in dialog.test_result.text()
    assert path.read_text() == "{not json"  # showing the dialog changed nothing
