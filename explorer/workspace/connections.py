"""Opening connections: store URL or saved ``@NAME``, secrets, fallbacks, production rule.

The window and the command line both go through ``Connector``:

- ``resolve(TEXT, flags)``: TEXT is a store URL or ``@NAME`` (a saved
  connection). The result, a ``Target``, carries the profile, its secret (flags
  given win over the keychain; then the environment), the backend options and
  whether the store opens read-only.
- The production rule: a prod profile opens read-only; a write through it is
  refused (``ProductionReadOnlyError``) unless writing was unlocked for the
  session (the window's Unlock, the command line's ``--unlock``).
- ``open_profile`` opens (enters) a profile's store for the window: backends
  are imported off the event loop and the ``memory`` kind is the demo store.

``WriteSafety`` builds the backups, the audit log and a ``SafeWriter`` in the
data directory, once per session.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from dataclasses import dataclass, field
from typing import Any

from explorer.core.errors import UnknownStoreError
from explorer.storage.base import Storage
from explorer.storage.registry import known_schemes, open_store
from explorer.storage.url import FORMS, StoreUrl
from explorer.workspace.audit import AuditLog
from explorer.workspace.backups import BackupStore
from explorer.workspace.environment import DataPaths, Environment
from explorer.workspace.profiles import (
    KINDS,
    ProductionReadOnlyError,
    Profile,
    ProfileStore,
    profile_for_url,
)
from explorer.workspace.redact import remember_secret
from explorer.workspace.safe_write import SafeWriter
from explorer.workspace.threaded_listing import ThreadedLister

#: backend modules by profile kind; the window imports them off the event loop
#: (Azure SDKs take a few hundred ms to import, a visible freeze on the loop)
BACKEND_MODULES = {
    "sqlite": "explorer.storage.sqlite",
    "blob": "explorer.storage.blob",
    "cosmos": "explorer.storage.cosmos",
}


@dataclass(frozen=True)
class StoreFlags:
    """What the user gave besides the store: secrets, endpoint, TLS, safety switches."""

    connection_string: str | None = None
    key: str | None = None
    endpoint: str | None = None
    insecure: bool = False
    read_only: bool = False
    #: writes through a production saved connection are allowed this session
    unlock: bool = False
    #: the environment of a connection opened from a URL (saved ones carry theirs)
    environment: str = "dev"

    def options(self) -> dict[str, Any]:
        """The backend options these flags set (they win over a saved connection's)."""
        options: dict[str, Any] = {}
        if self.connection_string:
            options["connection_string"] = self.connection_string
        if self.key:
            options["key"] = self.key
        if self.endpoint:
            options["endpoint"] = self.endpoint
        if self.insecure:
            options["insecure"] = True
        return options


@dataclass
class Target:
    """A resolved connection, not yet opened."""

    profile: Profile
    secret: str | None
    #: the saved connection's name (``@NAME``), or None for a URL
    saved: str | None
    #: backend options for ``open_store`` (the secret is in here)
    options: dict[str, Any]
    #: what the user must be told (a missing keychain secret, TLS checks off)
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.profile.url()

    def store(self, *, read_only: bool) -> Storage:
        """An unopened store (use it with ``async with``)."""
        return open_store(self.url, read_only=read_only, **self.options)


def opens_read_only(profile: Profile) -> bool:
    """The production rule: a prod connection opens read-only."""
    return profile.is_prod


def check_writable(profile: Profile, saved: str | None, *, unlock: bool, how: str) -> None:
    """Refuse a write through a prod connection that was not unlocked."""
    if opens_read_only(profile) and not unlock:
        raise ProductionReadOnlyError(saved or profile.name, how)


class Connector:
    """Resolves and opens stores for one session (the window or one command)."""

    def __init__(self, paths: DataPaths, env: Environment) -> None:
        self.paths, self.env = paths, env
        for secret in env.secrets:
            remember_secret(secret)
        self._profiles: ProfileStore | None = None

    @property
    def profiles(self) -> ProfileStore:
        """The saved connections (``connections.json`` in the data directory)."""
        if self._profiles is None:
            self._profiles = ProfileStore(self.paths.profiles)
        return self._profiles

    def resolve(self, text: str, flags: StoreFlags | None = None) -> Target:
        """The connection ``text`` names: ``@NAME`` or a store URL (see the module doc)."""
        flags = flags or StoreFlags()
        remember_secret(flags.connection_string)
        remember_secret(flags.key)
        if text.startswith("@"):
            return self._saved(text[1:], flags)
        url = StoreUrl.parse(text)
        if url.scheme not in KINDS:
            if url.scheme not in known_schemes():
                raise UnknownStoreError(
                    f"{text!r} is not a store the explorer opens; use {FORMS} "
                    "or @NAME (a saved connection)"
                )
            # a third-party backend (entry point): its factory reads the URL itself
            plugin = Profile(url.display_name, url.scheme, flags.environment, {"url": text})
            return Target(plugin, None, None, flags.options())
        endpoint = flags.endpoint or self.env.cosmos_endpoint or ""
        profile = profile_for_url(
            url.display_name, text, flags.environment, endpoint=endpoint, insecure=flags.insecure
        )
        secret: str | None = None
        if url.scheme == "blob":
            secret = flags.connection_string or self.env.storage_connection_string
        elif url.scheme == "cosmos":
            secret = flags.key or self.env.cosmos_key
        options = {**profile.store_options(secret), **flags.options()}
        return Target(profile, secret, None, options)

    def _saved(self, name: str, flags: StoreFlags) -> Target:
        profile = self.profiles.named(name)
        secret = self.profiles.secret(name)
        remember_secret(secret)
        target = Target(profile, secret, name, {**profile.store_options(secret), **flags.options()})
        if secret is None and profile.auth == "secret" and profile.kind in ("blob", "cosmos"):
            target.notes.append(
                f"note: this system's keychain holds no secret for {name!r}; save it again "
                "in the window (Connect…) or pass it with --connection-string / --key"
            )
        if target.options.get("insecure") and not flags.insecure:
            target.notes.append(
                f"warning: TLS certificate checks are OFF for {name!r} (a local emulator)"
            )
        return target

    async def open_profile(self, profile: Profile, secret: str | None, read_only: bool) -> Storage:
        """Open (enter) the store of ``profile``; the ``memory`` kind is the demo store."""
        module = BACKEND_MODULES.get(profile.kind)
        if module is not None and module not in sys.modules:
            await asyncio.to_thread(importlib.import_module, module)
        if profile.kind == "memory":
            from explorer.workspace.demo import demo_items, fill_store

            store = open_store("memory:")
            await store.__aenter__()
            await fill_store(store, demo_items())
            store.read_only = read_only
            return store
        options = profile.store_options(secret)
        if profile.kind == "blob":
            # the SDK parses each listing page on the event loop: 1,000 names keep
            # that under the 50 ms a person notices (5,000 take ~100 ms or more)
            options.setdefault("page_size", 1000)
        store = open_store(profile.url(), read_only=read_only, **options)
        await store.__aenter__()
        return store

    async def make_lister(self, profile: Profile, secret: str | None) -> ThreadedLister | None:
        """A ``ThreadedLister`` for network stores (their SDKs parse pages on the loop)."""
        if profile.kind not in ("blob", "cosmos"):
            return None
        options = profile.store_options(secret)
        if profile.kind == "blob":
            # the XML of a page is parsed in C holding the GIL: 400 names keep each hold
            # short (1,000: window stall on Azurite 20k median ~50 ms; 400: ~38 ms)
            options.setdefault("page_size", 400)
        url = profile.url()
        return await ThreadedLister.start(lambda: open_store(url, read_only=True, **options))

    async def check_profile(self, profile: Profile, secret: str | None) -> str:
        """One line saying what a read-only connection to ``profile`` found."""
        store = await asyncio.wait_for(self.open_profile(profile, secret, True), timeout=20)
        try:
            first: str | None = None
            async with asyncio.timeout(20):
                async for key in store.iter_keys(""):
                    first = key
                    break
        finally:
            await store.__aexit__(None, None, None)
        tls = (
            ""
            if profile.kind not in ("blob", "cosmos")
            else (" · TLS checks OFF" if profile.insecure else " · TLS verified")
        )
        if first is None:
            return f"Connected: the store is empty{tls}"
        if len(first) > 48:
            first = f"{first[:22]}…{first[-22:]}"
        return f"Connected: it holds state (first key {first}){tls}"


def warm_backends() -> None:
    """Import every backend (in a worker thread at start-up): later connects are quick."""
    for module in BACKEND_MODULES.values():
        importlib.import_module(module)


class WriteSafety:
    """The backups and the audit log of a session, and a ``SafeWriter`` per connection."""

    def __init__(self, paths: DataPaths, *, audit_values: bool = False) -> None:
        self.backups = BackupStore(paths.backups)
        self.audit = AuditLog(paths.audit, include_values=audit_values)

    def writer(self, profile: str | None = None) -> SafeWriter:
        """A writer that names ``profile`` (the connection) in the audit log."""
        return SafeWriter(self.backups, self.audit, profile=profile)

    def close(self) -> None:
        self.backups.close()
