"""Store URLs: the one parser.

A store URL is ``SCHEME:REST``:

| URL | parts |
|---|---|
| ``memory:`` | none |
| ``sqlite:PATH`` (``sqlite:///abs/path``, ``sqlite:~/x.db``) | ``path`` |
| ``blob://CONTAINER`` | ``container`` |
| ``cosmos://DATABASE/CONTAINER`` | ``database``, ``container`` |

Third-party schemes (entry-point backends) parse to a ``StoreUrl`` with only
``scheme`` and ``rest``; their factory reads ``rest`` itself. The scheme is
compared case-insensitively; everything else is kept as given.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.core.errors import UnknownStoreError

#: what a user can type, for error messages
FORMS = "memory:, sqlite:PATH, blob://CONTAINER or cosmos://DATABASE/CONTAINER"


@dataclass(frozen=True)
class StoreUrl:
    """A parsed store URL. ``str(url)`` gives back the text it was parsed from."""

    scheme: str
    rest: str
    text: str

    @classmethod
    def parse(cls, text: str) -> StoreUrl:
        """Split ``text`` into scheme and rest; ``UnknownStoreError`` if it is no URL."""
        scheme, sep, rest = text.partition(":")
        if not sep or not scheme or not scheme.replace("+", "").replace("-", "").isalnum():
            raise UnknownStoreError(f"{text!r} is not a store URL; use {FORMS}")
        return cls(scheme.lower(), rest, text)

    def __str__(self) -> str:
        return self.text

    def _expect(self, scheme: str, form: str) -> None:
        if self.scheme != scheme:
            raise UnknownStoreError(f"{self.text!r} is not a {form} store URL")

    @property
    def sqlite_path(self) -> str:
        """The file of a ``sqlite:`` URL (``sqlite:///abs`` -> ``/abs``)."""
        self._expect("sqlite", "SQLite (sqlite:PATH)")
        path = self.rest[2:] if self.rest.startswith("///") else self.rest
        if not path:
            raise UnknownStoreError(
                f"{self.text!r} names no file; use sqlite:PATH, e.g. sqlite:state.db"
            )
        return path

    def _names(self) -> list[str]:
        if not self.rest.startswith("//"):
            return []
        return self.rest[2:].strip("/").split("/")

    @property
    def blob_container(self) -> str:
        """The container of a ``blob://CONTAINER`` URL."""
        names = self._names()
        if self.scheme != "blob" or len(names) != 1 or not names[0]:
            raise UnknownStoreError(f"{self.text!r} is not a blob store URL; use blob://CONTAINER")
        return names[0]

    @property
    def cosmos_names(self) -> tuple[str, str]:
        """``(database, container)`` of a ``cosmos://DATABASE/CONTAINER`` URL."""
        names = self._names()
        if self.scheme != "cosmos" or len(names) != 2 or not all(names):
            raise UnknownStoreError(
                f"{self.text!r} is not a Cosmos DB store URL; use cosmos://DATABASE/CONTAINER"
            )
        return names[0], names[1]

    @property
    def display_name(self) -> str:
        """A short name for a connection opened from this URL (file name, container)."""
        if self.scheme == "sqlite":
            from pathlib import Path

            return Path(self.rest).name or self.text
        return self.rest.lstrip("/") or self.text
