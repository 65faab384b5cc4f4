# SPDX-License-Identifier: Apache-2.0
"""Every JSON document rlimit-init writes, parsed and validated against its schema.

Each test that reads rlimit-init's JSON goes through `parse`, so a field that a document gains
without a line in docs/schema/ (or a value outside its enum) fails the test that saw it. Which
schema applies follows from the document: `outcome` says error, measured or installed,
`as_soft` is inspect's, `version` version's, anything else is a decision report.
conftest.py prints how many were validated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "schema"
SCHEMAS = {path.stem: json.loads(path.read_text()) for path in sorted(SCHEMA_DIR.glob("*.json"))}
_STORE = {schema["$id"]: schema for schema in SCHEMAS.values()}
_VALIDATORS = {
    name: jsonschema.Draft202012Validator(
        schema, resolver=jsonschema.RefResolver(schema["$id"], schema, store=_STORE),
        format_checker=jsonschema.FormatChecker())
    for name, schema in SCHEMAS.items()
}
validated: dict[str, int] = {name: 0 for name in SCHEMAS}


def schema_of(document: Any) -> str:
    """The name of the schema in docs/schema/ that `document` must follow."""
    if isinstance(document, dict):
        names = {"error": "error", "measured": "measure", "installed": "install"}
        if document.get("outcome") in names:
            return names[document["outcome"]]
        if "as_soft" in document:
            return "inspect"
        if "version" in document:
            return "version"
    return "report"


def validate(document: Any, schema: str | None = None) -> Any:
    """Checks `document` against its schema (named, or found by schema_of); returns it."""
    name = schema or schema_of(document)
    errors = sorted(_VALIDATORS[name].iter_errors(document), key=lambda e: list(e.path))
    assert not errors, (f"rlimit-init's JSON does not follow docs/schema/{name}.json:\n" +
                        "\n".join(f"  at /{'/'.join(map(str, e.path))}: {e.message}"
                                  for e in errors) + f"\n{json.dumps(document)}")
    validated[name] += 1
    return document


def parse(text: str | bytes, schema: str | None = None) -> Any:
    """One JSON document as rlimit-init wrote it, which must be valid UTF-8 (a bad byte
    raises) and follow its schema."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return validate(json.loads(text), schema)
