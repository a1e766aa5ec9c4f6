"""Saved connections ("profiles"), shared by the window and the command line.

A ``Profile`` holds everything but the secret (connection string, account key,
SAS or Cosmos key). Profiles live in one JSON file, ``connections.json`` in the
user data directory, so the window and ``botstate-explorer ... @NAME`` see the
same list; secrets go through ``keyring`` under ``KEYRING_SERVICE`` and the
profile name and are never written to that file or to logs. ``environment`` is
``dev``, ``test`` or ``prod``; prod profiles open read-only until writing is
unlocked (the window's Unlock, the command line's ``--unlock``).

Nothing is lost: the file is replaced atomically (a temporary file, fsync,
rename); a file that cannot be read is never overwritten but moved aside to
``connections.json.unreadable-TIMESTAMP`` on the next save, and ``problem``
says so. Profiles become stores through ``url()`` and ``store_options()``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from explorer.core.errors import (
    BackendUnavailableError,
    ReadOnlyError,
    StorageError,
    UnknownStoreError,
)
from explorer.storage.url import FORMS, StoreUrl
from explorer.workspace.files import atomic_file

log = logging.getLogger(__name__)

KEYRING_SERVICE = "botstate-explorer"
FILE_NAME = "connections.json"
FORMAT = "botstate-explorer connections"
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


class ProductionReadOnlyError(ReadOnlyError):
    """A write through a prod profile that was not unlocked."""

    def __init__(self, profile: str, how: str) -> None:
        StorageError.__init__(
            self,
            f"{profile!r} is a production connection and opens read-only; {how} "
            "(every write is backed up and audited)",
        )


@dataclass
class Profile:
    """A saved connection. ``settings`` never holds a secret."""

    name: str
    kind: str = "sqlite"
    environment: str = "dev"
    #: sqlite: path · blob: container, account_url · cosmos: endpoint, database,
    #: container, ru_per_second (the RU/s cap of scans, "0": none; missing: the default)
    settings: dict[str, str] = field(default_factory=dict)
    #: "secret" (connection string / key from the keychain) or "entra" (Entra ID sign-in)
    auth: str = "secret"
    #: local emulators only: TLS certificate checks off (shown wherever it is used)
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
        return s.get("url", "memory:")  # a third-party backend keeps its URL as given

    def store_options(self, secret: str | None) -> dict[str, Any]:
        """Backend options for ``open_store`` (the secret goes in here, nowhere else).

        Raises ``BackendUnavailableError`` for a Blob profile that signs in with
        Entra ID but has no account URL to sign in to.
        """
        s = self.settings
        options: dict[str, Any] = {}
        if self.kind == "blob":
            if self.auth == "entra" and not s.get("account_url"):
                raise BackendUnavailableError(
                    f"{self.name}: Entra ID sign-in needs the account URL "
                    "(https://ACCOUNT.blob.core.windows.net); fill it in and try again"
                )
            if s.get("account_url"):
                options["account_url"] = s["account_url"]
            # without a secret the backend signs in with Entra ID (DefaultAzureCredential)
            if self.auth != "entra" and secret:
                key = "credential" if s.get("account_url") else "connection_string"
                options[key] = secret
        elif self.kind == "cosmos":
            options["endpoint"] = s.get("endpoint", "")
            if s.get("ru_per_second"):  # the RU/s cap of scans ("0": none)
                options["ru_per_second"] = s["ru_per_second"]
            # without a key the backend signs in with Entra ID (DefaultAzureCredential)
            if self.auth != "entra" and secret:
                options["key"] = secret
        if self.insecure:
            options["insecure"] = True
        return options

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        return cls(
            name=str(data["name"]),
            kind=str(data.get("kind", "sqlite")),
            environment=str(data.get("environment", "dev")),
            settings={str(k): str(v) for k, v in dict(data.get("settings", {})).items()},
            auth=str(data.get("auth", "secret")),
            insecure=bool(data.get("insecure", False)),
        )


def profile_for_url(
    name: str, url: str, environment: str = "dev", *, endpoint: str = "", insecure: bool = False
) -> Profile:
    """The profile of a store URL (``sqlite:PATH``, ``blob://CONTAINER``,
    ``cosmos://DATABASE/CONTAINER``, ``memory:``); ``endpoint`` is Cosmos DB's."""
    parsed = StoreUrl.parse(url)
    if parsed.scheme == "sqlite":
        return Profile(name, "sqlite", environment, {"path": parsed.sqlite_path})
    if parsed.scheme == "blob":
        settings = {"container": parsed.blob_container}
        return Profile(name, "blob", environment, settings, insecure=insecure)
    if parsed.scheme == "cosmos":
        database, container = parsed.cosmos_names
        settings = {"endpoint": endpoint, "database": database, "container": container}
        return Profile(name, "cosmos", environment, settings, insecure=insecure)
    if parsed.scheme == "memory":
        return Profile(name, "memory", environment)
    raise UnknownStoreError(f"{url!r} is not a store URL; use {FORMS}")


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
    """Profiles in a JSON file (``path``), their secrets in the keychain."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: secrets kept for this session when no keychain is available (never on disk)
        self._session_secrets: dict[str, str] = {}
        #: why the last secret could not go to the keychain, for the UI to say
        self.keychain_problem: str | None = None
        #: why the file (or an entry in it) could not be read at the last load
        self._unreadable: str | None = None
        #: where the last save moved an unreadable file
        self._moved_aside: str | None = None

    @property
    def problem(self) -> str | None:
        """What the user must know about the file: unreadable, or kept aside."""
        found = [p for p in (self._moved_aside, self._unreadable) if p]
        return "; ".join(found) if found else None

    def _load(self) -> tuple[list[Profile], bool]:
        """The saved profiles and whether all of the file was readable (a missing
        file is). A file with anything unreadable in it is never rewritten in place."""
        self._unreadable = None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            entries = data["connections"]
            if not isinstance(entries, list):
                raise TypeError("'connections' is not a list")
        except FileNotFoundError:
            return [], True
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self._unreadable = (
                f"{self.path} cannot be read ({exc}); no connection was loaded, and "
                "the next save keeps this file aside"
            )
            log.warning("%s", self._unreadable)
            return [], False
        loaded = []
        for entry in entries:
            try:
                loaded.append(Profile.from_dict(entry))
            except (ValueError, KeyError, TypeError, AttributeError):
                shown = repr(entry)[:120]
                self._unreadable = (
                    f"{self.path}: a saved connection cannot be read: {shown}; the next "
                    "save keeps this file aside"
                )
                log.warning("%s", self._unreadable)
        return loaded, self._unreadable is None

    def profiles(self) -> list[Profile]:
        return sorted(self._load()[0], key=lambda p: p.name.casefold())

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.profiles() if p.name == name), None)

    def named(self, name: str) -> Profile:
        """The saved profile ``name``; ``UnknownStoreError`` names the saved ones if none."""
        profiles = self.profiles()
        found = next((p for p in profiles if p.name == name), None)
        if found is not None:
            return found
        if self._unreadable:
            raise UnknownStoreError(self._unreadable)
        saved = ", ".join(repr(p.name) for p in profiles) or "none yet (save one in the window)"
        raise UnknownStoreError(f"no saved connection named {name!r}; saved: {saved}")

    def _write(self, profiles: list[Profile], readable: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not readable and self.path.exists():
            aside = self.path.with_name(f"{FILE_NAME}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.path, aside)
            self._moved_aside = f"{self.path} could not be read; it was kept as {aside.name}"
        document = {
            "format": FORMAT,
            "version": 1,
            "connections": [p.to_dict() for p in sorted(profiles, key=lambda p: p.name)],
        }
        with atomic_file(self.path) as f:
            json.dump(document, f, indent=2, ensure_ascii=False)
            f.write("\n")

    def save(self, profile: Profile, secret: str | None = None) -> None:
        """Save ``profile`` (replacing one of the same name); a non-empty ``secret``
        replaces the stored one.

        Without a usable keychain the secret is kept in memory for this session
        only (``keychain_problem`` says so); it is never written to the file.
        """
        profiles, readable = self._load()
        self._write([p for p in profiles if p.name != profile.name] + [profile], readable)
        self.keychain_problem = None
        if secret:
            self._session_secrets[profile.name] = secret
            import keyring
            import keyring.errors

            try:
                keyring.set_password(KEYRING_SERVICE, profile.name, secret)
            except keyring.errors.KeyringError as exc:
                self.keychain_problem = (
                    f"no system keychain is available ({exc}); the secret is kept for "
                    "this session only and will be asked for again next time"
                )
                log.info("keychain unavailable: %s", type(exc).__name__)

    def delete(self, name: str) -> None:
        profiles, readable = self._load()
        if readable:
            self._write([p for p in profiles if p.name != name], readable)
        self._session_secrets.pop(name, None)
        import keyring
        import keyring.errors

        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(KEYRING_SERVICE, name)

    def secret(self, name: str) -> str | None:
        import keyring  # imported when needed: `ls sqlite:x` never loads a keychain backend
        import keyring.errors

        try:
            value = keyring.get_password(KEYRING_SERVICE, name)
        except keyring.errors.KeyringError:
            value = None
        if isinstance(value, str):
            return value
        return self._session_secrets.get(name)
