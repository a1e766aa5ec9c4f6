"""Driving the window to a known view: used by ``--screenshot`` and ``--self-test``.

``show_first_user_state`` connects a profile, waits for the first channel to
be listed, expands it and its Users group, selects the first user state and
waits for the detail pane to load it. On a store listed per node (Blob with
``/`` names) it opens channels, agents and Users groups in tree order, as a
user would, until a user state shows.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from explorer.core.errors import StorageError
from explorer.workspace.profiles import Profile
from explorer.workspace.tree import LoadState, Node, NodeKind


def first_user_state(root: Node) -> Node | None:
    """The first user state (any channel, then agents), or any state at all."""
    fallback: Node | None = None
    for node in root.walk():
        if node.kind is NodeKind.USER and node.key is not None:
            return node
        if fallback is None and node.is_state:
            fallback = node
    return fallback


_LAZY_LEVELS = (NodeKind.CHANNEL, NodeKind.AGENT, NodeKind.USERS)
_SETTLED = (LoadState.LOADED, LoadState.FAILED)


async def _open_until_a_user(window: Any, root: Node, deadline: float) -> Node | None:
    """Expand unlisted channel, agent and Users nodes in tree order (at most 20)
    until a user state is listed; the first one, or None."""
    for _ in range(20):
        target = first_user_state(root)
        closed = (
            n
            for n in root.walk()
            if n.kind in _LAZY_LEVELS and n.prefix is not None
            if n.load_state is LoadState.UNLOADED
        )
        node = next(closed, None)
        if target is not None or node is None:
            return target
        node.load_state = LoadState.LOADING  # as the model's fetchMore: listed once
        handle = window.manager.expand(node)
        if handle.task is not None:
            await asyncio.wait({handle.task}, timeout=max(deadline - time.monotonic(), 0))
    return first_user_state(root)


async def show_first_user_state(
    window: Any, profile: Profile, secret: str | None, read_only: bool | None, wait_s: float = 30
) -> Node:
    conn = await window.manager.open(profile, secret, read_only)
    deadline = time.monotonic() + wait_s
    target: Node | None = None
    while time.monotonic() < deadline:
        target = first_user_state(conn.node)
        done = conn.node.load_state in (LoadState.LOADED, LoadState.FAILED)
        if target is not None and (done or conn.node.count >= 200):
            break
        if done and conn.node.prefix is not None:  # listed per node: open levels below
            break
        if conn.node.load_state is LoadState.FAILED:
            break
        await asyncio.sleep(0.02)
    if target is None and conn.node.prefix is not None:
        target = await _open_until_a_user(window, conn.node, deadline)
    if conn.node.load_state is LoadState.FAILED and target is None:
        raise StorageError(f"could not list {profile.url()}: {conn.node.error}")
    if target is None:
        raise StorageError(f"{profile.url()} holds no state to show")
    channel = (
        next(n for n in target.path() if n.kind is NodeKind.CHANNEL)
        if any(n.kind is NodeKind.CHANNEL for n in target.path())
        else target
    )
    window.view.expand(window.model.index_of(channel))
    window.select_node(target)
    await asyncio.sleep(0.05)
    await window.runner.wait_idle(within=max(deadline - time.monotonic(), 1.0))
    return target
