"""Secrets never leak through redact_secrets; redaction rules mask personal values."""

from __future__ import annotations

import pytest

from explorer.workspace.redact import (
    RedactionRules,
    forget_secrets,
    redact_documents,
    redact_secrets,
    remember_secret,
)

ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
AZURITE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    f"AccountKey={ACCOUNT_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
)


@pytest.fixture(autouse=True)
def _clean_registry() -> None:
    forget_secrets()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (AZURITE, ACCOUNT_KEY),
        (
            "https://acct.blob.core.windows.net/c?sv=2022-11-02&sp=r&sig=abc%2Fdef123XYZ",
            "abc%2Fdef123XYZ",
        ),
        ("SharedAccessSignature=sv=2020&sig=SECRETSIG99;BlobEndpoint=x", "SECRETSIG99"),
        (
            "AccountEndpoint=https://localhost:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv==;",
            "C2y6yDjf5/R+ob0N8A7Cgv==",
        ),
        ("Authorization: Bearer abcdefghijklmnop.qrs", "abcdefghijklmnop.qrs"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig-part_x", "eyJhbGciOiJIUzI1NiJ9"),
        ("https://user:hunter2pass@proxy.example/x", "hunter2pass"),
        ('{"password": "p@ss w0rd!", "n": 1}', "p@ss w0rd!"),
        (
            "cosmos://db/c?key=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
            "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
        ),
    ],
)
def test_known_secret_shapes_are_masked(text: str, secret: str) -> None:
    out = redact_secrets(text)
    assert secret not in out
    assert "***" in out
    assert redact_secrets(out) == out  # idempotent


def test_remembered_secret_is_masked_anywhere() -> None:
    odd = "zz-this-is-an-opaque-cosmos-key-zz"
    assert redact_secrets(f"failed with {odd} inside") == f"failed with {odd} inside"
    remember_secret(odd)
    assert odd not in redact_secrets(f"failed with {odd} inside")


def test_remembered_connection_string_masks_its_key_alone() -> None:
    remember_secret(AZURITE)
    assert ACCOUNT_KEY not in redact_secrets(f"error: key {ACCOUNT_KEY} rejected")


def test_ordinary_text_and_state_keys_are_kept() -> None:
    for text in (
        "no item with key 'msteams/users/29:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'",
        "webchat/conversations/Abc123|livechat/users/u-1",
        "sqlite:/tmp/x/state.db",
        "a:1XyZ;messageid=17",
    ):
        assert redact_secrets(text) == text


def test_default_rules_mask_personal_values_and_keep_shape() -> None:
    doc = {
        "UserProfile": {
            "py/object": "bbmodels.UserProfile",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "age": 38,
            "phone_number": "+44 20 7946 0958",
        },
        "note": "write to ada@example.org or call (425) 555-0100",
        "timestamp": "2024-05-01T12:00:02Z",
        "DialogState": {"dialogStack": [{"id": "mainDialog", "state": {"turn": 1}}]},
        "auth": {"access_token": "abc", "expires": 3600, "valid": True},
        "version": "4.17.1",
    }
    rules = RedactionRules()
    out = rules.redact(doc)
    profile = out["UserProfile"]
    assert profile["py/object"] == "bbmodels.UserProfile"
    assert profile["name"] == rules.mask
    assert profile["email"] == rules.mask
    assert profile["phone_number"] == rules.mask
    assert profile["age"] == 38
    assert out["note"] == rules.mask
    assert out["timestamp"] == doc["timestamp"]
    assert out["version"] == "4.17.1"
    assert out["DialogState"] == doc["DialogState"]
    assert out["auth"]["access_token"] == rules.mask
    assert doc["UserProfile"]["name"] == "Ada Lovelace"  # input untouched


def test_masked_name_masks_every_leaf_but_keeps_tags_and_nulls() -> None:
    rules = RedactionRules()
    value = {"$type": "X.Address", "street": "1 Main", "zip": 12345, "extra": None, "ok": False}
    assert rules.mask_value("address", value) == {
        "$type": "X.Address",
        "street": rules.mask,
        "zip": rules.mask,
        "extra": None,
        "ok": False,
    }
    assert rules.mask_value("firstName", ["Ada", "Grace"]) == [rules.mask, rules.mask]
    assert rules.is_sensitive("First-Name", "Ada")
    assert not rules.is_sensitive("turn", 3)


def test_rules_are_configurable_and_validated() -> None:
    rules = RedactionRules.from_config({"names": ["customerNo"], "values": {"ticket": r"TCK-\d+"}})
    assert rules.redact({"customer_no": 7, "name": "Ada", "t": "see TCK-991"}) == {
        "customer_no": rules.mask,
        "name": "Ada",
        "t": rules.mask,
    }
    assert RedactionRules.from_config(rules.to_config()) == rules
    with pytest.raises(ValueError, match="not a valid regex"):
        RedactionRules.from_config({"names": ["("]})
    off = RedactionRules(enabled=False)
    assert off.redact({"name": "Ada"}) == {"name": "Ada"}
    assert redact_documents([{"email": "x@y.io"}]) == [{"email": RedactionRules().mask}]
