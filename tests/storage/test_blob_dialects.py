"""Blob names and bodies per dialect, without Azure (``blob_dialects``, ``json_style``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.errors import InvalidKeyError
from explorer.storage import blob_dialects as d
from explorer.storage.json_style import JsonStyle, detect_style, rewrite

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def items(name: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = json.loads((FIXTURES / f"{name}.json").read_text())["items"]
    return found


# -- names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "key", "name"),
    [
        (d.PYTHON, "weird key?#*\\with chars", "weird key?#*/with chars"),
        (d.PYTHON, "c/conversations/x/users/u/", "c/conversations/x/users/u/"),
        (d.JS, "weird key?#*\\with chars", "weird%20key%3F%23*%5Cwith%20chars"),
        (d.JS, "msteams/users/user-1/", "msteams%2Fusers%2Fuser-1"),
        (d.JS, "a//b/", "a%2Fb"),
        (d.JS, "/lead", "%2Flead"),  # reduce() without a seed keeps a leading '/'
        (d.AGENTS_JS, "msteams/users/user-1/", "%2Fmsteams%2Fusers%2Fuser-1"),
        (d.DOTNET, "msteams/users/29:1abc x~'", "msteams%2fusers%2f29%3a1abc+x%7e%27"),
        (d.DOTNET, "déjà", "d%c3%a9j%c3%a0"),
    ],
)
def test_names(dialect: d.BlobDialect, key: str, name: str) -> None:
    assert dialect.name_of(key) == name


def test_js_names_past_254_segments_lose_their_slash_and_are_cut() -> None:
    key = "/".join(str(i % 10) for i in range(260))
    name = d.JS.name_of(key)
    assert name.startswith("0%2F1%2F2")
    assert name.endswith("%2F3%2F456789")  # segment 254 joined by '/', 255+ glued together
    long = d.JS.name_of("k" * 2000)
    assert len(long) == 1024


@pytest.mark.parametrize("fixture", ["python-blobstorage", "js-blobsstorage"])
def test_fixture_names_decode_and_encode_back(fixture: str) -> None:
    for item in items(fixture):
        found, _ = d.guess(item["name"], item["content_type"])
        assert found.name_of(found.key_of(item["name"])) == item["name"]


@pytest.mark.parametrize(
    ("name", "content_type", "expected", "certain"),
    [
        ("msteams/users/u", "application/octet-stream", "python", False),
        ("flat", "application/octet-stream", "python", False),
        ("msteams/users/u", "application/json", "python", False),  # a real '/' wins
        ("%2Fmsteams%2Fusers%2Fu", "application/json", "agents-js", True),
        ("msteams%2fusers%2fu", "application/json", "dotnet", True),
        ("a+b", "application/json", "dotnet", True),
        ("msteams%2Fusers%2Fu", "application/json", "js", True),
        ("a%20b", "application/json", "js", False),
        ("plain", "application/json; charset=utf-8", "js", False),
    ],
)
def test_guess_from_name_and_content_type(
    name: str, content_type: str, expected: str, certain: bool
) -> None:
    found, proven = d.guess(name, content_type)
    assert (found.name, proven) == (expected, certain)


def test_refine_by_body() -> None:
    js, _ = d.guess("plain", "application/json")
    assert d.refine(js, False, b'{"$type":"X","a":1}', python_hint="python") is d.DOTNET
    assert d.refine(d.JS, True, b'{"$type":"X"}', python_hint="python") is d.JS
    assert d.refine(d.PYTHON, False, b'{"a": 1}', python_hint="agents-python") is d.AGENTS_PYTHON
    tagged = b'{"a": {"py/object": "m.C"}}'
    assert d.refine(d.PYTHON, False, tagged, python_hint="agents-python") is d.PYTHON


def test_undecodable_names_raise_value_error() -> None:
    for name in ("bad%ZZ", "cut%2", "notutf8%ff%fe"):
        with pytest.raises(ValueError, match=r"escape|UTF-8"):
            d.JS.key_of(name)


def test_keys_no_dialect_can_store() -> None:
    with pytest.raises(InvalidKeyError, match="1,024"):
        d.PYTHON.name_of("k" * 1025)
    with pytest.raises(InvalidKeyError, match="empty"):
        d.DOTNET.name_of("")
    with pytest.raises(InvalidKeyError, match="surrogate"):
        d.JS.name_of("\ud800")


def test_vote() -> None:
    names = [("msteams%2Fusers%2Fa", "application/json")] * 3 + [("x/y", None)]
    guesses = [d.guess(n, ct) for n, ct in names]
    main, python_hint, json_hint = d.vote(
        guesses,
        [(d.PYTHON, b'{"a": 1}')],
        python_default="python",
        json_default="js",
        fallback=d.PYTHON,
    )
    assert (main.name, python_hint, json_hint) == ("js", "agents-python", "js")
    empty = d.vote([], [], python_default="python", json_default="dotnet", fallback=d.DOTNET)
    assert empty == (d.DOTNET, "python", "dotnet")


# -- bodies ------------------------------------------------------------------------


def test_python_body_style_is_detected_and_kept() -> None:
    body = items("python-blobstorage")[4]["body"]
    style = detect_style(body, JsonStyle())
    assert style == JsonStyle(", ", ": ", ensure_ascii=False)  # ASCII text: fallback's choice
    assert detect_style('{"a": "\\u00e9"}', JsonStyle()).ensure_ascii
    assert not detect_style('{"a":"é"}', JsonStyle(ensure_ascii=True)).ensure_ascii


def test_rewrite_keeps_untouched_literals_and_order() -> None:
    text = '{ "b" : 1.0,\n "a": [1e-7, {"x": true}], "$type": "T", "n": null }'
    new: dict[str, Any] = json.loads(text)
    assert rewrite(text, new, JsonStyle()) == text
    new["a"][1]["x"] = False
    new["a"].append("z")
    new["extra"] = {"é": 1}
    del new["n"]
    out = rewrite(text, new, JsonStyle())
    # new members and elements use the separators found where they go
    assert (
        out == '{ "b" : 1.0,\n "a": [1e-7, {"x": false}, "z"], "$type": "T",\n "extra" : {"é":1} }'
    )
    assert json.loads(out) == new


def test_rewrite_type_strict() -> None:
    assert rewrite('{"a": 1}', {"a": 1.0}, JsonStyle()) == '{"a": 1.0}'
    assert rewrite('{"a": 1}', {"a": True}, JsonStyle()) == '{"a": true}'
    with pytest.raises(ValueError, match=r"JSON|Out of range"):
        rewrite('{"a": 1}', {"a": float("nan")}, JsonStyle())


def test_encode_body_python_updates_e_tag_and_agents_never_adds_it() -> None:
    body = b'{"p": {"n": 1}, "e_tag": "0xOLD", "q": 2}'
    out = d.encode_body({"p": {"n": 2}, "q": 2}, d.PYTHON, like_body=body, like_etag="0xNOW")
    assert out == b'{"p": {"n": 2}, "e_tag": "0xNOW", "q": 2}'
    plain = b'{"p": {"n": 1}}'
    out = d.encode_body({"p": {"n": 2}, "e_tag": "x"}, d.AGENTS_PYTHON, like_body=plain)
    assert out == b'{"p": {"n": 2}}'
    bom = b"\xef\xbb\xbf" + b'{"a":1}'
    assert d.encode_body({"a": 2}, d.DOTNET, like_body=bom) == b"\xef\xbb\xbf" + b'{"a":2}'
    assert d.encode_body({"a": 1}, d.JS, like_body=b"not json") == b'{"a":1}'
    assert d.encode_body({"s": "\ud800"}, d.JS) == b'{"s":"\\ud800"}'


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)
documents = st.dictionaries(st.text(max_size=4), json_values, max_size=5)


@settings(max_examples=200, deadline=None)
@given(documents, documents, st.sampled_from(list(d.ALL)))
def test_rewrite_always_gives_the_new_document(
    old: dict[str, Any], new: dict[str, Any], dialect: d.BlobDialect
) -> None:
    text = dialect.style.dumps(old)
    out = rewrite(text, new, dialect.style)
    assert json.loads(out) == new
    assert rewrite(text, old, dialect.style) == text
