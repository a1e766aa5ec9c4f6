"""Driving the window to a known view: used by ``--screenshot`` and ``--self-test``.

``show_first_user_state`` connects a profile, finds its first user state
(by seeks where the store has key pages, else from the listing as it
arrives: never a private state or an ``auth/…`` key while a user exists),
selects it and waits for the detail pane to load it, not for the listing.
On a store listed per node (Blob with ``/`` names), and on a paged store that
finds a channel's groups when it is expanded (Cosmos DB), it opens channels,
agents and Users groups in tree order, as a user would, until a user state shows.
``goto`` goes to a key or id instead, as Ctrl+L does.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from explorer.core.errors import StorageError
from explorer.ui.models import roles
from explorer.workspace.locate import first_user_key, locate
from explorer.workspace.profiles import Profile
from explorer.workspace.tree import LoadState, Node, NodeKind
from explorer.workspace.tree_paged import lazy_discovery


def first_user_state(root: Node) -> Node | None:
    """The first user state listed (any channel, then agents); never a private
    state nor an other key."""
    return next((n for n in root.walk() if n.kind is NodeKind.USER and n.key), None)


def any_state(root: Node) -> Node | None:
    """The first state of any kind: what a store without users shows."""
    return next((n for n in root.walk() if n.is_state), None)


_LAZY_LEVELS = (NodeKind.CHANNEL, NodeKind.AGENT, NodeKind.USERS)
_SETTLED = (LoadState.LOADED, LoadState.FAILED)


async def _open_until_a_user(window: Any, root: Node, deadline: float) -> Node | None:
    """Expand unlisted channel, agent and Users nodes in tree order (at most 20)
    until a user state is listed; the first one, or None. Channels the store
    already knows (its open sample) are opened while the rest of the first
    level is still being listed."""
    opened = 0
    if root.load_state is LoadState.UNLOADED:  # the view has not asked yet
        root.load_state = LoadState.LOADING
        window.manager.expand(root)  # not awaited: known channels show at once
    while opened < 20 and time.monotonic() < deadline:
        target = first_user_state(root)
        closed = (
            n
            for n in root.walk()
            if n.kind in _LAZY_LEVELS and n.prefix is not None
            if n.load_state is LoadState.UNLOADED
        )
        node = next(closed, None)
        if target is not None:
            return target
        if node is None:
            if root.load_state is not LoadState.LOADING:
                return None
            await asyncio.sleep(0.005)  # the first level is still being listed
            continue
        node.load_state = LoadState.LOADING  # as the model's fetchMore: listed once
        handle = window.manager.expand(node)
        opened += 1
        if handle.task is not None:
            await asyncio.wait({handle.task}, timeout=max(deadline - time.monotonic(), 0))
    return first_user_state(root)


async def _seek_first_user(window: Any, conn: Any) -> Node | None:
    """The first user state found by seeks (stores with key pages), placed in the tree."""
    key = await first_user_key(conn.store)
    if key is None:
        return None
    nodes = await locate(window.manager.tree, conn.node, key)
    return next((n for n in nodes if n.key == key), None)


async def _wait_listed_user(conn: Any, deadline: float) -> Node | None:
    """A user state from the listing as it streams (stores without seeks)."""
    while time.monotonic() < deadline:
        target = first_user_state(conn.node)
        if target is not None or conn.node.load_state in _SETTLED:
            return target
        await asyncio.sleep(0.02)
    return None


async def _go_to(window: Any, text: str, deadline: float) -> Node | None:
    """Go to ``text`` as Ctrl+L does: the Go to box, then Enter."""
    window.toolbar.goto_edit.setText(text)
    handle = window.go_to()
    if handle is None or handle.task is None:
        return None
    await asyncio.wait({handle.task}, timeout=max(deadline - time.monotonic(), 0))
    if not handle.task.done() or handle.task.cancelled() or not handle.task.result():
        return None
    return selected_node(window)


def selected_node(window: Any) -> Node | None:
    """The node of the tree view's current row."""
    index = window.view.currentIndex()
    node = index.data(roles.NODE_ROLE) if index.isValid() else None
    return node if isinstance(node, Node) else None


async def show_first_user_state(
    window: Any,
    profile: Profile,
    secret: str | None,
    read_only: bool | None,
    wait_s: float = 30,
    *,
    goto: str | None = None,
    end: bool = False,
) -> Node | None:
    """Open ``profile`` and show its first user state (or what ``goto`` names).

    ``end``: then End in that row's group (a paged group: its last page, read
    by one reverse seek), as the key does.

    Never waits for a whole listing: on a store with key pages the first user
    is found by seeks; otherwise the listing is watched until a user state
    arrives (levels of a store listed per node are opened as a user would).
    """
    conn = await window.manager.open(profile, secret, read_only)
    deadline = time.monotonic() + wait_s
    target: Node | None
    if goto is not None:
        target = await _go_to(window, goto, deadline)
        if target is None:
            raise StorageError(f"Go to: nothing named {goto!r} in {profile.url()}")
    else:
        # a store that charges per request (Cosmos DB) finds its channels' groups as
        # they are expanded: opening the first ones in tree order reads less than
        # seeking the first user apart from them and reading it again
        lazy = conn.node.paged and lazy_discovery(conn.store)
        target = None if lazy else await _seek_first_user(window, conn)
        if target is None and conn.node.prefix is None:
            target = await _wait_listed_user(conn, deadline)
        if target is None and conn.node.prefix is not None:
            target = await _open_until_a_user(window, conn.node, deadline)
        if target is None:
            target = any_state(conn.node)
        if conn.node.load_state is LoadState.FAILED and target is None:
            raise StorageError(f"could not list {profile.url()}: {conn.node.error}")
        if target is None:
            raise StorageError(f"{profile.url()} holds no state to show")
        channel = next((n for n in target.path() if n.kind is NodeKind.CHANNEL), target)
        window.view.expand(window.model.index_of(channel))
        window.select_node(target)
    group = window.paged_view.group_of(target) if end else None
    for _ in range(250 if end else 0):  # a paged store: its groups are still being found
        if group is not None or conn.node.load_state is LoadState.LOADED:
            break
        await asyncio.sleep(0.02)
        group = window.paged_view.group_of(target)
    if group is not None:
        handle = window.paged_view.end(group)
        if handle is not None and handle.task is not None:
            await handle.task
        for _ in range(100):  # the runner hands the result over on a later turn
            last = next((n for n in reversed(group.children) if n.gap is None), None)
            if last is not None and window.current_node() is last:
                break
            await asyncio.sleep(0.02)
        target = window.current_node() or target
    await asyncio.sleep(0.05)
    # the detail pane loads the state; a listing going on behind is not waited for
    await window.runner.wait_idle(
        within=max(deadline - time.monotonic(), 1.0), ignore=[conn.listing]
    )
    return target
