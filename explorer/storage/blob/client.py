"""Blob SDK client construction: the account, credentials, timeouts and retries.

Plain functions; ``store.from_url`` hands their ``ContainerClient`` to
``BlobStorage``, which then owns and closes it (and any credential made here).

- The account: ``connection_string`` (else ``$AZURE_STORAGE_CONNECTION_STRING``)
  unless an ``account_url`` is given; with an account URL, ``credential``, else
  ``sas_token``, else ``account_key`` (+ ``account_name``), else Entra ID
  (``DefaultAzureCredential``, returned among the closers).
- Timeouts and retries are short for an interactive tool (see ``READ_TIMEOUT``).
- Bodies above 1 MiB are uploaded in 1 MiB blocks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.storage.blob.aio import ContainerClient, ExponentialRetry

from explorer.core.errors import BackendUnavailableError
from explorer.storage.url import StoreUrl

#: bodies above 1 MiB go up in 1 MiB blocks: aiohttp warns that one larger
#: request body may hold up the event loop
_BLOCK = 1 << 20
#: Client timeouts and retries for an interactive tool. The SDK's defaults wait
#: 15-24 s before each retry and 60 s per read: a killed server took 82 s to
#: report, two 503s 40 s (measured against Azurite). Here a refused or reset
#: connection is retried once, throttling (503/500) and timeouts up to 3 times,
#: after 2, 4 and 8 s (+-1 s); a stalled server fails after 2 x READ_TIMEOUT.
CONNECTION_TIMEOUT = 10.0
READ_TIMEOUT = 20.0
RETRIES = 3
CONNECT_RETRIES = 1


def _proxy_in_environment() -> bool:
    return any(
        os.environ.get(name) or os.environ.get(name.upper())
        for name in ("http_proxy", "https_proxy", "all_proxy", "netrc")
    )


def client_settings(options: Mapping[str, Any]) -> dict[str, Any]:
    """SDK client keywords from the options ``connection_timeout``, ``read_timeout``
    (seconds) and ``retries`` (throttling/timeouts; connection failures at most 1)."""
    retries = max(0, int(options.get("retries", RETRIES)))
    return {
        "connection_timeout": float(options.get("connection_timeout", CONNECTION_TIMEOUT)),
        "read_timeout": float(options.get("read_timeout", READ_TIMEOUT)),
        # aiohttp looks up proxy variables and ~/.netrc in a worker thread on every
        # request when asked to; only ask when the environment names a proxy
        "use_env_settings": _proxy_in_environment(),
        "retry_policy": ExponentialRetry(
            initial_backoff=0,
            increment_base=2,
            random_jitter_range=1,
            retry_total=retries,
            retry_connect=min(retries, CONNECT_RETRIES),
            retry_read=min(retries, CONNECT_RETRIES),
            retry_status=retries,
        ),
    }


def _account_name(account_url: str) -> str:
    """``https://NAME.blob.core.windows.net`` or an emulator's ``http://host:port/NAME``."""
    parts = urlsplit(account_url)
    path = parts.path.strip("/")
    return path.split("/")[0] if path else (parts.hostname or "").split(".")[0]


def sas_permissions(options: Mapping[str, Any]) -> str | None:
    """The ``sp`` permissions of the SAS the store is reached with (``"rl"``), or
    ``None`` when no SAS is used (a key, Entra ID, a SAS without ``sp``)."""
    connection = options.get("connection_string") or os.environ.get(
        "AZURE_STORAGE_CONNECTION_STRING"
    )
    sas: str | None = None
    if connection and not options.get("account_url"):
        for part in str(connection).split(";"):
            name, _, value = part.partition("=")
            if name.strip().lower() == "sharedaccesssignature":
                sas = value
    elif options.get("sas_token"):
        sas = str(options["sas_token"])
    elif options.get("account_url") and "?" in str(options["account_url"]):
        sas = str(options["account_url"]).split("?", 1)[1]
    if sas is None:
        return None
    found = parse_qs(sas.lstrip("?")).get("sp")
    return found[0] if found else None


def missing_write_permissions(permissions: str | None) -> str:
    """The SAS letters a writable store needs and ``permissions`` lacks (``w`` write,
    ``d`` delete); empty when nothing is missing or no SAS is used."""
    if permissions is None:
        return ""
    return "".join(p for p in "wd" if p not in permissions)


def connect(url: str, options: Mapping[str, Any]) -> tuple[ContainerClient, list[Any]]:
    """A client for ``blob://CONTAINER`` and the credentials made here (to close after it).

    See the module docstring for which options reach the account. Raises
    ``UnknownStoreError`` for a URL that is not ``blob://CONTAINER`` and
    ``BackendUnavailableError`` when no account is given at all.
    """
    name = StoreUrl.parse(url).blob_container
    connection = options.get("connection_string") or os.environ.get(
        "AZURE_STORAGE_CONNECTION_STRING"
    )
    account_url = options.get("account_url")
    closers: list[Any] = []
    if connection and not account_url:
        client = ContainerClient.from_connection_string(
            connection,
            name,
            max_single_put_size=_BLOCK,
            max_block_size=_BLOCK,
            **client_settings(options),
        )
    elif account_url:
        credential = options.get("credential")
        if credential is None and options.get("sas_token"):
            credential = str(options["sas_token"]).lstrip("?")
        elif credential is None and options.get("account_key"):
            account = options.get("account_name") or _account_name(account_url)
            credential = {"account_name": account, "account_key": options["account_key"]}
        elif credential is None:
            from azure.identity.aio import DefaultAzureCredential

            credential = DefaultAzureCredential()
            closers.append(credential)
        client = ContainerClient(
            account_url,
            name,
            credential=credential,
            max_single_put_size=_BLOCK,
            max_block_size=_BLOCK,
            **client_settings(options),
        )
    else:
        raise BackendUnavailableError(
            f"no account for {url!r}: set AZURE_STORAGE_CONNECTION_STRING, or pass "
            "--connection-string, or an account URL with a SAS, key or Entra ID sign-in"
        )
    return client, closers
