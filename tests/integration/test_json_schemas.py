# SPDX-License-Identifier: Apache-2.0
"""The JSON Schemas of docs/schema/: each is a valid draft 2020-12 schema, strict about fields,
documented in docs/json.md, and used by rlimit_json.parse (the tests of each document validate
what the real binary writes)."""

from __future__ import annotations

from typing import Any, Iterator

import jsonschema
import pytest

from conftest import REPO
from rlimit_json import SCHEMAS, parse as parse_json

# Starts no rlimit-init binary: the sanitizer run leaves it out (it would check nothing new).
pytestmark = pytest.mark.without_binary


def objects(schema: Any, where: str = "") -> Iterator[tuple[str, dict]]:
    """Every subschema of `schema` that describes an object, with where it is."""
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            yield where, schema
        for key, value in schema.items():
            yield from objects(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from objects(value, f"{where}/{i}")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_valid_strict_and_documented(name: str) -> None:
    schema = SCHEMAS[name]
    jsonschema.Draft202012Validator.check_schema(schema)
    for where, obj in objects(schema):
        if "properties" not in obj:
            # A map (measure's env: variable -> value): its values still have a schema.
            assert isinstance(obj.get("additionalProperties"), dict), f"{name}.json{where}"
            continue
        assert obj.get("additionalProperties") is False, f"{name}.json{where} allows any field"
        assert sorted(obj["required"]) == sorted(obj["properties"]), (
            f"{name}.json{where}: every field is always written, so every field is required")
    assert f"(schema/{name}.json)" in (REPO / "docs" / "json.md").read_text()


def test_a_field_the_schema_does_not_name_fails() -> None:
    document = {"outcome": "error", "exit_code": 64, "message": "bad command line: x"}
    assert parse_json('{"outcome":"error","exit_code":64,"message":"bad command line: x"}\n') \
        == document
    with pytest.raises(AssertionError, match="'extra' was unexpected"):
        parse_json('{"outcome":"error","exit_code":64,"message":"x","extra":1}')
    with pytest.raises(AssertionError, match="is not one of"):
        parse_json('{"outcome":"error","exit_code":1,"message":"x"}')
