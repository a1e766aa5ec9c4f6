"""Listing a blob container: flat by key prefix, or one ``/``-level at a time.

- A key prefix becomes each dialect's name prefix; the listings are chained
  (a prefix that extends another is dropped, so no name is listed twice).
- Names stream in pages of up to 5,000 (``page_size``).
- A name that cannot be decoded as a key is still listed, as an ``Entry`` whose
  ``error`` says why (its ``key`` is the raw name).
- Blob Storage cannot start a listing at an arbitrary name (its continuation
  marker is opaque), so there are no key-ordered pages or positions here:
  ``next_page`` pages forward in name order, one request per page, resumed by
  a cursor holding the service's continuation token; ``count`` is exact only
  when a prefix fits in one page, else a lower bound ("5,000+").
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from azure.core.exceptions import AzureError
from azure.storage.blob import BlobProperties
from azure.storage.blob.aio import BlobPrefix

from explorer.core.errors import InvalidKeyError
from explorer.core.items import Entry
from explorer.storage import blob_dialects as dialects
from explorer.storage.blob.core import PAGE_SIZE, BlobCore, etag
from explorer.storage.blob_dialects import BlobDialect
from explorer.storage.paging import Count, Page


def _cursor_parts(cursor: str | None) -> tuple[int, str | None]:
    """``INDEX:TOKEN`` -> (index of the dialect prefix, continuation token or ``None``)."""
    if not cursor:
        return 0, None
    index, _, token = cursor.partition(":")
    try:
        return int(index), token or None
    except ValueError:
        raise ValueError(f"not a listing cursor of this store: {cursor!r}") from None


class BlobListing(BlobCore):
    """``iter_entries`` and ``iter_children``; see ``BlobStorage``."""

    def _entry(self, props: BlobProperties) -> Entry:
        name = props.name
        found = self._detect(name, props.content_settings.content_type, None)
        try:
            key = found.key_of(name)
            error = None
        except ValueError as exc:
            key, error = name, f"blob name {name!r} cannot be decoded as a {found.label} key: {exc}"
        return Entry(
            key=key,
            name=name,
            size=props.size,
            last_modified=props.last_modified,
            etag=etag(props.etag),
            dialect=found.name,
            error=error,
        )

    def _name_prefixes(self, prefix: str) -> list[str]:
        if not prefix:
            return [""]
        found: set[str] = set()
        for candidate in dialects.ALL:
            try:
                found.add(candidate.name_prefix_of(prefix))
            except InvalidKeyError:
                continue
        # a prefix that extends another one would list the same names twice
        return sorted(p for p in found if not any(p != q and p.startswith(q) for q in found))

    async def _list(self, name_prefix: str) -> AsyncIterator[BlobProperties]:
        await self._settled()
        pages = self._container.list_blobs(
            name_starts_with=name_prefix or None, results_per_page=self._page_size
        ).by_page()
        try:
            async for page in pages:
                async for props in page:
                    yield props
        except AzureError as exc:
            raise self._error(exc, None, "list") from None

    async def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
        """Every blob whose key starts with ``prefix``, one 5,000-name page at a time.

        A non-empty prefix is translated into each dialect's name prefix and the
        listings are chained. A name that cannot be decoded is still listed, as
        an ``Entry`` whose ``error`` says why (its ``key`` is the raw name).
        """
        for name_prefix in self._name_prefixes(prefix):
            async for props in self._list(name_prefix):
                entry = self._entry(props)
                if entry.error or entry.key.startswith(prefix):
                    yield entry

    async def next_page(
        self,
        prefix: str = "",
        *,
        cursor: str | None = None,
        limit: int = PAGE_SIZE,
        keys_only: bool = False,
    ) -> Page:
        """``paging.ListingPages``: one list request of up to ``limit`` (at most 5,000)
        names, in name order; the cursor names the dialect prefix being listed and the
        service's continuation token, so the next page is one request too."""
        prefixes = self._name_prefixes(prefix)
        index, token = _cursor_parts(cursor)
        size = max(1, min(limit, PAGE_SIZE))
        entries: list[Entry] = []
        while index < len(prefixes):
            names, token = await self._one_page(prefixes[index], token, size)
            for props in names:
                entry = self._entry(props)
                if entry.error or entry.key.startswith(prefix):
                    entries.append(entry)
            if token is None:
                index += 1
            if token is not None or entries:
                break
        more = index < len(prefixes)
        return Page(entries, more=more, cursor=f"{index}:{token or ''}" if more else None)

    async def _one_page(
        self, name_prefix: str, token: str | None, size: int
    ) -> tuple[list[BlobProperties], str | None]:
        """One list request: the names and the token of the next page (``None``: last)."""
        await self._settled()
        pages = self._container.list_blobs(
            name_starts_with=name_prefix or None, results_per_page=size
        ).by_page(continuation_token=token)
        try:
            page = await anext(aiter(pages), None)
            names = [] if page is None else [props async for props in page]
        except AzureError as exc:
            raise self._error(exc, None, "list") from None
        return names, pages.continuation_token or None  # type: ignore[attr-defined]

    async def count(self, prefix: str = "") -> Count:
        """``paging.Counting``: one list request per dialect prefix; exact when every
        one fits in a page, else the names seen as a lower bound ("5,000+")."""
        total, complete = 0, True
        for name_prefix in self._name_prefixes(prefix):
            names, token = await self._one_page(name_prefix, None, self._page_size)
            total += sum(
                1 for props in names if (e := self._entry(props)).error or e.key.startswith(prefix)
            )
            complete = complete and token is None
        return Count(total, exact=complete, at_least=not complete)

    async def iter_children(self, prefix: str = "") -> AsyncIterator[str | Entry]:
        """The direct children of a ``/``-delimited key prefix (``""`` or ending in ``/``).

        Yields ``str`` child prefixes (each ends with ``/``, each once) and
        ``Entry`` items whose key has no further ``/`` after ``prefix``. Each
        dialect's names are walked server-side, one page per 5,000 children, with
        the delimiter that is a key's ``/`` in them (``separator``: ``/`` in python
        names, ``%2F`` in js and agents-js names, ``%2f`` in .NET ones), so a level
        costs its children, not every name below it. At the top level only the
        container's main form is walked (a walk returns every name without its
        delimiter one by one: those come as items, grouped here); the agents-js
        names below a leading ``%2F`` are walked from there. A python
        private-state blob ``c/conversations/x/users/u/`` is the single child of
        the prefix of the same name. Undecodable names come as error entries.
        """
        if prefix and not prefix.endswith("/"):
            raise ValueError(f"a hierarchy prefix ends with '/', not {prefix!r}")
        seen: set[str] = set()
        if prefix:
            walks = [(d.name_prefix_of(prefix), d) for d in _WALKED]
        else:
            main = self._profile.main
            walks = [("", dialects.JS if main is dialects.AGENTS_JS else main)]
        sources: list[AsyncIterator[str | BlobProperties]] = [
            self._walk(name_prefix, form) for name_prefix, form in walks
        ]
        while sources:
            async for item in sources.pop(0):
                if isinstance(item, str):
                    if item == _AGENTS_JS_ROOT:  # a js walk of the top level
                        sources.append(self._walk(item, dialects.AGENTS_JS))
                        continue
                    child: str | Entry = item
                else:
                    entry = self._entry(item)
                    if not entry.error and not entry.key.startswith(prefix):
                        continue
                    rest = "" if entry.error else entry.key[len(prefix) :]
                    head, slash, tail = rest.partition("/")
                    child = f"{prefix}{head}/" if slash and tail else entry
                if isinstance(child, str):
                    if not child.startswith(prefix) or child in seen:
                        continue
                    seen.add(child)
                yield child

    async def _walk(
        self, name_prefix: str, form: BlobDialect
    ) -> AsyncIterator[str | BlobProperties]:
        """One level of the names under ``name_prefix``, delimited by ``form``'s
        separator: blobs, and child prefixes as the key prefixes they stand for
        (``_AGENTS_JS_ROOT`` as is); a prefix that does not decode is listed flat."""
        # the top level and a channel are a few prefixes whatever the container's
        # size: a page holds few names, however big it may be, and a service that
        # walks every blob below to answer (Azurite re-reads them for each page)
        # answers in fewer, cheaper pages
        await self._settled()
        separator = form.separator
        depth = name_prefix.count(separator) - (form is dialects.AGENTS_JS)
        size = PAGE_SIZE if depth <= 1 else self._page_size
        undecoded: list[str] = []
        try:
            async for item in self._container.walk_blobs(
                name_starts_with=name_prefix or None, delimiter=separator, results_per_page=size
            ):
                if not isinstance(item, BlobPrefix):
                    yield item
                    continue
                name = _full_prefix(item.name, separator)
                if name == _AGENTS_JS_ROOT and separator == _AGENTS_JS_ROOT:
                    yield name
                    continue
                try:
                    yield form.key_of(name[: -len(separator)]) + "/"
                except ValueError:
                    undecoded.append(name)
        except AzureError as exc:
            raise self._error(exc, None, "list") from None
        for name in undecoded:
            async for props in self._list(name):
                yield props


#: the forms walked below the top level: one per distinct name form (agents-python
#: names are python names)
_WALKED = (dialects.PYTHON, dialects.JS, dialects.AGENTS_JS, dialects.DOTNET)
#: the name prefix of every agents-js name (a leading escaped slash)
_AGENTS_JS_ROOT = "%2F"


def _full_prefix(name: str, separator: str) -> str:
    """A listed prefix ends with the delimiter; Azurite cuts a delimiter of several
    characters after its first (``msteams%`` for ``msteams%2F``): complete it."""
    if name.endswith(separator) or not name.endswith(separator[0]):
        return name
    return name + separator[1:]
