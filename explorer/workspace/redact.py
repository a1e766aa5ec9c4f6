"""Redaction: secrets out of every text we print or log; personal data masked in views.

Two separate jobs:

- ``redact_secrets(text)`` removes credentials (connection-string keys, SAS
  signatures, cosmos keys, bearer tokens, JWTs, passwords in URLs, and any
  value registered with ``remember_secret``) from a text before it reaches an
  error message, a log line, the audit log or an export. It is always on.
- ``RedactionRules`` masks *state values* for screenshots and screen sharing:
  a value is masked when its property name matches a name pattern (names,
  emails, phone numbers, addresses, tokens, passwords...) or when it is a
  string that matches a value pattern (an email, a phone number, a JWT or
  bearer token). Under a matching name, every leaf of an object or list is
  masked but the structure and type tags (``py/object``, ``$type``) stay, so a
  masked document still shows its shape. Revealing is the UI's job: it keeps
  the original and shows ``mask_value``'s result until asked.

Invariants: nothing here mutates its input; masking is deterministic and the
mask does not depend on the value (so its length leaks nothing). Stdlib only.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

SECRET_MASK = "***"

#: ``Name=value`` pairs in connection strings / query strings whose value is secret
_SECRET_PAIR = re.compile(
    r"(?i)\b(AccountKey|SharedAccessSignature|SharedAccessKey|SharedAccessKeyName_?Key|"
    r"AccessKey|Password|Pwd|ClientSecret|client_secret|sig|token|access_token|"
    r"refresh_token|api[-_]?key|(?<=[?&;])key|(?<=[?&;])code)(\s*[=:]\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^;&\s\"',]+)"
)
#: ``Authorization: Bearer ...`` / ``Bearer ...``
_BEARER = re.compile(r"(?i)\b(Bearer|Basic|SharedKey)\s+[A-Za-z0-9._~+/=:-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
#: ``scheme://user:password@host``
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@")
#: JSON members whose value is secret (``"AccountKey": "..."``)
_JSON_SECRET = re.compile(
    r"(?i)(\"(?:account_?key|key|password|secret|sas|sas_?token|connection_?string|"
    r"credential|token)\"\s*:\s*)\"(?:[^\"\\]|\\.)*\""
)
#: connection strings printed whole: mask everything after the endpoint name
_CONN_STRING = re.compile(r"(?i)(AccountEndpoint|BlobEndpoint|DefaultEndpointsProtocol)=")

_known_lock = threading.Lock()
_known: set[str] = set()


def remember_secret(value: str | None) -> None:
    """Mask every later occurrence of ``value`` (a key, SAS, connection string).

    Values shorter than 6 characters are ignored: masking them would garble
    ordinary text. A connection string's secret parts are remembered too.
    """
    if not value or len(value) < 6:
        return
    parts = [value]
    for match in _SECRET_PAIR.finditer(value):
        parts.append(match.group(3).strip("\"'"))
    with _known_lock:
        _known.update(p for p in parts if len(p) >= 6)


def forget_secrets() -> None:
    """Drop every remembered secret (tests)."""
    with _known_lock:
        _known.clear()


def redact_secrets(text: str) -> str:
    """``text`` with credentials replaced by ``***``. Safe on any text, idempotent."""
    if not text:
        return text
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, SECRET_MASK)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + SECRET_MASK + "@", text)
    text = _JSON_SECRET.sub(lambda m: m.group(1) + '"' + SECRET_MASK + '"', text)
    text = _SECRET_PAIR.sub(lambda m: m.group(1) + m.group(2) + SECRET_MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + " " + SECRET_MASK, text)
    return _JWT.sub(SECRET_MASK, text)


def looks_like_connection_string(text: str) -> bool:
    return bool(_CONN_STRING.search(text))


# -- masking state values ----------------------------------------------------------

VALUE_MASK = "••••••"

#: property names (matched whole, case-insensitive, ``_``/``-`` ignored)
DEFAULT_NAME_PATTERNS: tuple[str, ...] = (
    r"(first|last|full|given|family|display|user|nick|middle|sur|real)?name",
    r"e?mail(address)?|emails?",
    r"(phone|mobile|cell|tel|telephone|fax)(number)?",
    r"(street|home|postal|billing|shipping)?address(line\d?)?|street|city|zip(code)?|postcode|postalcode",
    r"(birth(date|day)?|dob|dateofbirth)",
    r"(access|refresh|id|auth|bearer|session|api|sas)?token|password|passwd|pwd|secret"
    r"|apikey|clientsecret|credentials?|connectionstring|accountkey|signature|ssn|iban",
)
#: string values masked wherever they appear
DEFAULT_VALUE_PATTERNS: Mapping[str, str] = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    "phone": r"(?<![\w/:.-])\+?(?:\(\d{1,4}\)[ .-]?|\d{1,4}[ .-])(?:\d{2,4}[ .-]){1,3}\d{3,4}"
    r"(?![\w/:.-])",
    "jwt": r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
    "bearer": r"(?i)\bbearer\s+\S{8,}",
}
#: members that are type metadata, never personal data: kept even under a masked name
TYPE_TAGS = frozenset({"py/object", "py/type", "py/reduce", "$type", "py/id"})


@dataclass(frozen=True)
class RedactionRules:
    """Which values to mask. Configurable: pass your own patterns (regex strings).

    ``name_patterns`` are matched against the whole property name, case-
    insensitively, after removing ``_``, ``-`` and spaces (so ``first_name``,
    ``firstName`` and ``First-Name`` all match ``firstname``). ``value_patterns``
    are searched in string values anywhere in the document.
    """

    name_patterns: tuple[str, ...] = DEFAULT_NAME_PATTERNS
    value_patterns: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_VALUE_PATTERNS))
    mask: str = VALUE_MASK
    enabled: bool = True

    @cached_property
    def _name_re(self) -> re.Pattern[str] | None:
        if not self.name_patterns:
            return None
        return re.compile("|".join(f"(?:{p})" for p in self.name_patterns), re.IGNORECASE)

    @cached_property
    def _value_res(self) -> tuple[re.Pattern[str], ...]:
        # compiled one by one: a user pattern may carry its own global flags
        return tuple(re.compile(p) for p in self.value_patterns.values())

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RedactionRules:
        """Rules from a settings mapping: ``names`` (list), ``values`` (name -> regex),
        ``mask``, ``enabled``. Missing entries keep the defaults. Bad regexes
        raise ``ValueError`` naming the pattern."""
        names = tuple(config.get("names", DEFAULT_NAME_PATTERNS))
        values = dict(config.get("values", DEFAULT_VALUE_PATTERNS))
        for pattern in (*names, *values.values()):
            try:
                re.compile(pattern)
            except re.error as exc:
                message = f"redaction pattern {pattern!r} is not a valid regex: {exc}"
                raise ValueError(message) from None
        return cls(
            name_patterns=names,
            value_patterns=values,
            mask=str(config.get("mask", VALUE_MASK)),
            enabled=bool(config.get("enabled", True)),
        )

    def to_config(self) -> dict[str, Any]:
        return {
            "names": list(self.name_patterns),
            "values": dict(self.value_patterns),
            "mask": self.mask,
            "enabled": self.enabled,
        }

    def name_matches(self, name: str | int | None) -> bool:
        """True if a property called ``name`` is always masked."""
        if not self.enabled or not isinstance(name, str) or self._name_re is None:
            return False
        return self._name_re.fullmatch(re.sub(r"[\s_-]", "", name)) is not None

    def value_matches(self, value: Any) -> bool:
        """True if ``value`` is a string that looks personal or secret on its own."""
        if not self.enabled or not isinstance(value, str):
            return False
        return any(pattern.search(value) for pattern in self._value_res)

    def is_sensitive(self, name: str | int | None, value: Any) -> bool:
        """Would ``mask_value(name, value)`` change anything?"""
        return bool(self.mask_value(name, value) != value)

    def mask_value(self, name: str | int | None, value: Any) -> Any:
        """The value to show for property ``name`` (a masked copy, or ``value`` itself).

        The UI calls this per shown value. ``None`` and booleans under a masked
        name stay (they carry no personal data); numbers and strings become
        the mask.
        """
        if not self.enabled:
            return value
        if self.name_matches(name):
            return self._mask_all(value)
        return self.redact(value)

    def redact(self, value: Any) -> Any:
        """A masked copy of a whole document (or any JSON value)."""
        if not self.enabled:
            return value
        if isinstance(value, dict):
            return {k: v if k in TYPE_TAGS else self.mask_value(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact(v) for v in value]
        if self.value_matches(value):
            return self.mask
        return value

    def _mask_all(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v if k in TYPE_TAGS else self._mask_all(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._mask_all(v) for v in value]
        if value is None or isinstance(value, bool):
            return value
        return self.mask


def redact_documents(
    documents: Iterable[Mapping[str, Any]], rules: RedactionRules | None = None
) -> list[Any]:
    """Masked copies of several documents with ``rules`` (default rules if None)."""
    active = rules or RedactionRules()
    return [active.redact(dict(d)) for d in documents]
