"""Saved connection profiles: settings in QSettings, secrets in the OS keychain.

A ``Profile`` holds everything but the secret (connection string, account
key, SAS or Cosmos key). Secrets go through ``keyring`` under the service
``KEYRING_SERVICE`` and the profile name; they are never written to QSettings
or logs. ``environment`` is ``dev``, ``test`` or ``prod``; prod profiles open
read-only until writing is unlocked for the session.

Profiles become stores through ``store_request``: the store URL and the
options that ``explorer.storage.open_store`` passes to the backend.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import keyring
import keyring.errors
from PySide6.QtCore import QSettings

log = logging.getLogger(__name__)

KEYRING_SERVICE = "botstate-explorer"
KINDS = {
    "sqlite": "SQLite file",
    "blob": "Azure Blob Storage",
    "cosmos": "Azure Cosmos DB",
    "memory": "Demo (in memory)",
}
ENVIRONMENTS = ("dev", "test", "prod")

#: Azurite's documented, public development account (not a secret)
AZURITE_CONNECTION_STRING = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
    "K1SZFPTOtr/KBHBeksoGMGw==;"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
)
#: the Cosmos DB emulator's documented, public key (not a secret)
COSMOS_EMULATOR_KEY = (
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
)


@dataclass
class Profile:
    """A saved connection. ``settings`` never holds a secret."""

    name: str
    kind: str = "sqlite"
    environment: str = "dev"
    #: sqlite: path · blob: container, account_url · cosmos: endpoint, database, container
    settings: dict[str, str] = field(default_factory=dict)
    #: "secret" (connection string / key from the keychain) or "entra" (Entra ID sign-in)
    auth: str = "secret"
    #: local emulators only: TLS certificate checks off (shown in the status bar)
    insecure: bool = False

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def url(self) -> str:
        s = self.settings
        if self.kind == "sqlite":
            return f"sqlite:{s.get('path', '')}"
        if self.kind == "blob":
            return f"blob://{s.get('container', '')}"
        if self.kind == "cosmos":
            return f"cosmos://{s.get('database', '')}/{s.get('container', '')}"
        return "memory:"

    def store_options(self, secret: str | None) -> dict[str, Any]:
        """Backend options for ``open_store`` (the secret goes in here, nowhere else)."""
        s = self.settings
        options: dict[str, Any] = {}
        if self.kind == "blob":
            if s.get("account_url"):
                options["account_url"] = s["account_url"]
            # without a secret the backend signs in with Entra ID (DefaultAzureCredential)
            if self.auth != "entra" and secret:
                key = "credential" if s.get("account_url") else "connection_string"
                options[key] = secret
        elif self.kind == "cosmos":
            options["endpoint"] = s.get("endpoint", "")
            # without a key the backend signs in with Entra ID (DefaultAzureCredential)
            if self.auth != "entra" and secret:
                options["key"] = secret
        if self.insecure:
            options["insecure"] = True
        return options

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Profile:
        data = json.loads(text)
        return cls(
            name=str(data["name"]),
            kind=str(data.get("kind", "sqlite")),
            environment=str(data.get("environment", "dev")),
            settings={str(k): str(v) for k, v in dict(data.get("settings", {})).items()},
            auth=str(data.get("auth", "secret")),
            insecure=bool(data.get("insecure", False)),
        )


def azurite_preset(port: int = 10000, container: str = "botstate") -> tuple[Profile, str]:
    """A profile (and its public development secret) for a local Azurite."""
    secret = AZURITE_CONNECTION_STRING.replace(":10000/", f":{port}/")
    return Profile("Azurite (local)", "blob", "dev", {"container": container}), secret


def cosmos_emulator_preset(
    port: int = 8081, database: str = "botstate", container: str = "state"
) -> tuple[Profile, str]:
    """A profile (and its public key) for a local Cosmos emulator: TLS checks off."""
    settings = {
        "endpoint": f"https://localhost:{port}/",
        "database": database,
        "container": container,
    }
    return Profile("Cosmos emulator (local)", "cosmos", "dev", settings, insecure=True), (
        COSMOS_EMULATOR_KEY
    )


class ProfileStore:
    """Profiles in QSettings (group ``profiles``), their secrets in the keychain."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings
        #: secrets kept for this session when no keychain is available (never on disk)
        self._session_secrets: dict[str, str] = {}
        #: why the last secret could not go to the keychain, for the UI to say
        self.keychain_problem: str | None = None

    def profiles(self) -> list[Profile]:
        self.settings.beginGroup("profiles")
        try:
            names = self.settings.childKeys()
            loaded = []
            for name in sorted(names, key=str.casefold):
                try:
                    loaded.append(Profile.from_json(str(self.settings.value(name))))
                except (ValueError, KeyError, TypeError):
                    log.warning("ignoring unreadable saved profile %r", name)
            return loaded
        finally:
            self.settings.endGroup()

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.profiles() if p.name == name), None)

    def save(self, profile: Profile, secret: str | None = None) -> None:
        """Save ``profile``; a non-empty ``secret`` replaces the stored one.

        Without a usable keychain the secret is kept in memory for this session
        only (``keychain_problem`` says so); it is never written to settings.
        """
        self.settings.setValue(f"profiles/{_settings_key(profile.name)}", profile.to_json())
        self.settings.sync()
        self.keychain_problem = None
        if secret:
            self._session_secrets[profile.name] = secret
            try:
                keyring.set_password(KEYRING_SERVICE, profile.name, secret)
            except keyring.errors.KeyringError as exc:
                self.keychain_problem = (
                    f"no system keychain is available ({exc}); the secret is kept for "
                    "this session only and will be asked for again next time"
                )
                log.info("keychain unavailable: %s", type(exc).__name__)

    def delete(self, name: str) -> None:
        self.settings.remove(f"profiles/{_settings_key(name)}")
        self.settings.sync()
        self._session_secrets.pop(name, None)
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(KEYRING_SERVICE, name)

    def secret(self, name: str) -> str | None:
        try:
            value = keyring.get_password(KEYRING_SERVICE, name)
        except keyring.errors.KeyringError:
            value = None
        if isinstance(value, str):
            return value
        return self._session_secrets.get(name)


def _settings_key(name: str) -> str:
    # QSettings treats "/" as a group separator and "\\" specially
    return name.replace("/", "∕").replace("\\", "∖")
