"""openapi.yaml as a document: valid OpenAPI 3.1, and every schema and operation carries valid examples."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import SPEC

SPEC_DOC: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
SCHEMAS = SPEC_DOC["components"]["schemas"]


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    registry = Registry().with_resource("urn:spec", Resource.from_contents(SPEC_DOC, DRAFT202012))
    rebased = yaml.safe_load(yaml.safe_dump(schema).replace("'#/components/", "'urn:spec#/components/"))
    return Draft202012Validator(rebased, registry=registry)


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in SPEC_DOC["paths"].items() for method, op in item.items()]


def test_the_spec_is_valid_openapi_3_1() -> None:
    validate(SPEC_DOC)
    assert SPEC_DOC["openapi"].startswith("3.1")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_schema_has_examples_that_validate(name: str) -> None:
    examples = SCHEMAS[name].get("examples")
    assert examples, f"{name} has no examples"
    validator = _validator({"$ref": f"#/components/schemas/{name}"})
    for example in examples:
        assert not list(validator.iter_errors(example)), (name, example)


@pytest.mark.parametrize(("path", "method", "op"), _operations(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_operation_has_valid_examples(path: str, method: str, op: dict[str, Any]) -> None:
    assert op.get("operationId") and op.get("summary") and op.get("description")
    for param in op.get("parameters", []):
        assert param.get("description") and "example" in param, (path, param["name"])
    for media in op.get("requestBody", {}).get("content", {}).values():
        examples = [e["value"] for e in media.get("examples", {}).values()] or [media.get("example")]
        validator = _validator(media["schema"])
        for example in examples:
            assert example is not None and not list(validator.iter_errors(example)), (path, example)
    for status, response in op["responses"].items():
        response = _resolve(response)
        for media_type, media in response.get("content", {}).items():
            if "json" in media_type:
                assert "example" in media or "examples" in media, (path, status, media_type)
                validator = _validator(media["schema"])
                examples = [e["value"] for e in media.get("examples", {}).values()] or [media.get("example")]
                for example in examples:
                    assert not list(validator.iter_errors(example)), (path, status, example)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC_DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node
