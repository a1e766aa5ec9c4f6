"""Store URLs to backends.

A store URL is ``SCHEME:REST`` (``memory:``, ``sqlite:PATH``, ``blob://CONTAINER``,
``cosmos://DATABASE/CONTAINER``). Built-in backends are imported lazily, so
opening a SQLite store never imports an Azure SDK. Third-party backends register
a factory under the entry-point group ``botstate_explorer.backends``: the entry
point's name is the scheme and its value a callable
``from_url(url, *, read_only=False, **options) -> Storage``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from explorer.core.errors import UnknownStoreError
from explorer.storage.base import Storage
from explorer.storage.url import StoreUrl

ENTRY_POINT_GROUP = "botstate_explorer.backends"

StoreFactory = Callable[..., Storage]

#: scheme -> "module:function" for the built-in backends (imported on first use)
_BUILTIN: dict[str, str] = {
    "memory": "explorer.storage.memory:from_url",
    "sqlite": "explorer.storage.sqlite:from_url",
    "blob": "explorer.storage.blob:from_url",
    "cosmos": "explorer.storage.cosmos:from_url",
}
_registered: dict[str, StoreFactory] = {}


def register_backend(scheme: str, factory: StoreFactory) -> None:
    """Make ``scheme:...`` URLs open with ``factory`` (overrides a built-in)."""
    _registered[scheme.lower()] = factory


def scheme_of(url: str) -> str:
    return StoreUrl.parse(url).scheme


def _factory(scheme: str) -> StoreFactory:
    if scheme in _registered:
        return _registered[scheme]
    if scheme in _BUILTIN:
        module_name, _, attr = _BUILTIN[scheme].partition(":")
        factory: StoreFactory = getattr(importlib.import_module(module_name), attr)
        return factory
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name.lower() == scheme:
            loaded: StoreFactory = ep.load()
            _registered[scheme] = loaded
            return loaded
    known = ", ".join(sorted({*_BUILTIN, *_registered}))
    raise UnknownStoreError(f"no backend for store URLs starting {scheme}:; known: {known}")


def known_schemes() -> list[str]:
    """Every scheme that ``open_store`` can resolve right now."""
    names = {*_BUILTIN, *_registered}
    names.update(ep.name.lower() for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def open_store(url: str, *, read_only: bool = False, **options: Any) -> Storage:
    """An unopened store for ``url``; use it with ``async with``.

    ``options`` are passed to the backend (``connection_string``, ``insecure``,
    ``credential``...); a backend ignores options that do not apply to it.
    """
    return _factory(scheme_of(url))(url, read_only=read_only, **options)
