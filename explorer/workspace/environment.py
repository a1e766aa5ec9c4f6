"""The explorer's environment: every variable it reads, read in this one place.

``Environment.from_os()`` is called once by each entry point (the window's
composition root, the command line) and passed down. The storage backends keep
their own documented defaults for a bot that constructs them with no settings
(``AZURE_STORAGE_CONNECTION_STRING``, ``COSMOS_ENDPOINT`` / ``COSMOS_KEY``);
the explorer hands them what it resolved here, so both agree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "botstate-explorer"
DATA_DIR_ENV = "BOTSTATE_EXPLORER_DATA_DIR"
THEME_ENV = "BOTSTATE_EXPLORER_THEME"
STORAGE_CONNECTION_STRING_ENV = "AZURE_STORAGE_CONNECTION_STRING"
STORAGE_KEY_ENV = "AZURE_STORAGE_KEY"
COSMOS_ENDPOINT_ENV = "COSMOS_ENDPOINT"
COSMOS_KEY_ENV = "COSMOS_KEY"


@dataclass(frozen=True)
class Environment:
    """What the environment says; empty strings are treated as unset."""

    data_dir: str | None = None
    theme: str | None = None
    storage_connection_string: str | None = None
    storage_key: str | None = None
    cosmos_endpoint: str | None = None
    cosmos_key: str | None = None

    @classmethod
    def from_os(cls, environ: Mapping[str, str] | None = None) -> Environment:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(name) or None

        return cls(
            data_dir=get(DATA_DIR_ENV),
            theme=get(THEME_ENV),
            storage_connection_string=get(STORAGE_CONNECTION_STRING_ENV),
            storage_key=get(STORAGE_KEY_ENV),
            cosmos_endpoint=get(COSMOS_ENDPOINT_ENV),
            cosmos_key=get(COSMOS_KEY_ENV),
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that are secrets (masked in every message)."""
        found = (self.storage_connection_string, self.storage_key, self.cosmos_key)
        return tuple(s for s in found if s)


@dataclass(frozen=True)
class DataPaths:
    """Where the explorer keeps its files: backups, audit log, demo store, connections."""

    base: Path

    @classmethod
    def resolve(cls, override: str | None, env: Environment) -> DataPaths:
        """``override`` (``--data-dir``), else ``$BOTSTATE_EXPLORER_DATA_DIR``, else the
        platform's user data directory."""
        chosen = override or env.data_dir
        if chosen:
            return cls(Path(chosen).expanduser())
        import platformdirs

        return cls(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))

    @property
    def backups(self) -> Path:
        return self.base / "backups.db"

    @property
    def audit(self) -> Path:
        return self.base / "audit.jsonl"

    @property
    def demo_store(self) -> Path:
        return self.base / "demo.db"

    @property
    def profiles(self) -> Path:
        """The saved connections, shared by the window and the command line."""
        from explorer.workspace.profiles import FILE_NAME

        return self.base / FILE_NAME
