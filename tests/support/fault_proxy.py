"""An HTTP(S) reverse proxy in front of a real emulator that injects faults by rule.

``FaultProxy(upstream_port, tls=...).start()`` listens on a free port and
forwards every request to ``upstream_host:upstream_port`` (HTTPS upstream for
the cosmos emulator, whose self-signed certificate it serves itself, so a
client cannot tell the proxy from the emulator). Requests and responses pass
through byte for byte (no decompression, no added headers), so signed
requests (Azure shared key, Cosmos master key) stay valid. The Cosmos account
document (``GET /``) names the emulator's own address as its endpoint; the
proxy rewrites it to its own, or the SDK would go around it.

Faults are ``Rule``s, tried in order; the first one that matches a request and
has hits left applies to it:

- ``status``: answer ``status`` (429, 503...) with ``headers`` (``Retry-After``,
  ``x-ms-retry-after-ms``) without asking the emulator;
- ``stall``: hold the request until ``Rule.release()`` (or ``stall_for``
  seconds), then forward it (``then="forward"``) or drop the connection
  (``then="drop"``): a client read timeout fires first;
- ``cut``: forward, then send the response head and ``cut_after`` bytes of the
  body and reset the connection (a server dying mid-response);
- ``lose_reply``: forward (the emulator applies the request), then drop the
  connection without answering: the client cannot know the outcome;
- ``drop``: reset the connection without forwarding.

``Rule.on_hit`` runs (in a worker thread) when the rule applies, before the
fault, and ``Rule.after_forward`` after the emulator answered (e.g. kill the
emulator there). ``Rule.hit`` is a ``threading.Event`` set on the first hit. An
emulator that cannot be reached makes the proxy reset the client connection,
as a dead server would. ``retarget(port)`` points the proxy at a restarted
emulator. The proxy runs its own event loop in a daemon thread, so it keeps
serving while the test's loop is blocked.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from tests.support.loop_thread import LoopThreadServer

HERE = Path(__file__).resolve().parent
#: the cosmos emulator's own certificate and key (self-signed, for 127.0.0.1/localhost)
EMULATOR_CERT = HERE / "node" / "node_modules" / "@vercel" / "cosmosdb-server" / "cert.pem"
EMULATOR_KEY = HERE / "node" / "node_modules" / "@vercel" / "cosmosdb-server" / "key.pem"

Kind = Literal["status", "stall", "cut", "lose_reply", "drop"]
Match = Callable[[str, str], bool]  # (method, path with query) -> applies?
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
    }
)


def any_request(method: str, path: str) -> bool:
    return True


@dataclass
class Rule:
    """One fault; see the module docstring. ``times=None``: every matching request."""

    kind: Kind
    match: Match = any_request
    times: int | None = 1
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    stall_for: float = 3600.0
    then: Literal["forward", "drop"] = "forward"
    cut_after: int = 0
    on_hit: Callable[[], None] | None = None
    after_forward: Callable[[], None] | None = None
    hits: int = 0
    hit: threading.Event = field(default_factory=threading.Event)
    _released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        """Let stalled requests go on (forward or drop, as ``then`` says)."""
        self._released.set()

    def _take(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if not self.match(method, path):
            return False
        self.hits += 1
        return True


class FaultProxy(LoopThreadServer):
    THREAD_NAME = "fault-proxy"
    START_TIMEOUT = 15.0

    def __init__(
        self,
        upstream_port: int,
        *,
        upstream_host: str = "127.0.0.1",
        tls: bool = False,
        listen_host: str = "127.0.0.1",
    ) -> None:
        super().__init__()
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.tls = tls
        self.listen_host = listen_host
        #: every request seen, and how many each kind of fault answered
        self.requests = 0
        self.faults: Counter[str] = Counter()
        #: requests the emulator could not be reached for (connection reset)
        self.unreachable = 0
        self.log: list[tuple[str, str, str]] = []  # (method, path, what happened)
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- control (from any thread) ------------------------------------------------

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule and release stalled requests."""
        with self._lock:
            rules, self._rules = self._rules, []
        for rule in rules:
            rule.release()

    def retarget(self, port: int, host: str | None = None) -> None:
        self.upstream_port = port
        if host is not None:
            self.upstream_host = host

    def endpoint(self, scheme: str | None = None) -> str:
        scheme = scheme or ("https" if self.tls else "http")
        return f"{scheme}://{self.listen_host}:{self.port}/"

    # -- lifecycle -------------------------------------------------------------------

    async def _serve(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        context = None
        if self.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(EMULATOR_CERT, EMULATOR_KEY)
        site = web.TCPSite(self._runner, self.listen_host, 0, ssl_context=context)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=False),
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None, connect=5),
        )

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def stop(self) -> None:
        """Release stalled requests, then close the server and its client session."""
        if self._loop is not None:
            self.clear()
        super().stop()

    # -- the proxy ---------------------------------------------------------------------

    def _rule_for(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule._take(method, path):
                    return rule
        return None

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            transport.abort()  # a reset, as from a dead server
        raise asyncio.CancelledError  # nothing more is sent on this connection

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method, path = request.method, request.path_qs
        self.requests += 1
        body = await request.read()
        rule = self._rule_for(method, path)
        if rule is not None:
            self.faults[rule.kind] += 1
            self.log.append((method, path, rule.kind))
            if rule.on_hit is not None:
                await asyncio.to_thread(rule.on_hit)
            rule.hit.set()
            if rule.kind == "status":
                return web.json_response(
                    {"code": "Throttled", "message": f"injected {rule.status} by the fault proxy"},
                    status=rule.status,
                    headers=rule.headers,
                )
            if rule.kind == "drop":
                return self._drop(request)
            if rule.kind == "stall":
                await asyncio.to_thread(rule._released.wait, rule.stall_for)
                if rule.then == "drop":
                    return self._drop(request)
        else:
            self.log.append((method, path, "forward"))
        try:
            status, headers, payload = await self._forward(request, body)
        except (aiohttp.ClientError, OSError):
            self.unreachable += 1
            return self._drop(request)
        if rule is not None and rule.after_forward is not None:
            await asyncio.to_thread(rule.after_forward)
        if rule is not None and rule.kind == "lose_reply":
            return self._drop(request)
        response = web.StreamResponse(status=status, headers=headers)
        response.content_length = len(payload)
        await response.prepare(request)
        if rule is not None and rule.kind == "cut":
            await response.write(payload[: rule.cut_after])
            await asyncio.sleep(0.05)  # let the head and the first bytes reach the client
            return self._drop(request)
        if request.method != "HEAD":
            await response.write(payload)
        await response.write_eof()
        return response

    async def _forward(
        self, request: web.Request, body: bytes
    ) -> tuple[int, CIMultiDict[str], bytes]:
        assert self._session is not None
        scheme = "https" if self.tls else "http"
        url = f"{scheme}://{self.upstream_host}:{self.upstream_port}{request.path_qs}"
        headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in _HOP)
        async with self._session.request(
            request.method,
            aiohttp.client.URL(url, encoded=True),
            headers=headers,
            data=body if body else None,
            allow_redirects=False,
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
        ) as upstream:
            payload = await upstream.read()
            out = CIMultiDict((k, v) for k, v in upstream.headers.items() if k.lower() not in _HOP)
            if (
                self.tls
                and request.method == "GET"
                and request.path in ("", "/")
                and upstream.status == 200
            ):
                ours = f"{self.listen_host}:{self.port}".encode()
                for host in (self.upstream_host, "localhost", "127.0.0.1"):
                    payload = payload.replace(f"{host}:{self.upstream_port}".encode(), ours)
            return upstream.status, out, payload
