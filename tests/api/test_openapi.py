"""The OpenAPI document lists every route of the JSON API, and only those, with its parameters."""
from __future__ import annotations

import re

from app.web.openapi import openapi_document

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _documented_forms(rule: str) -> list[str]:
    """A Flask rule as OpenAPI paths: ``<int:case_id>`` → ``{case_id}``; ``<any(csv, json):fmt>``
    → one path per choice (the exports are two operations)."""
    choice = re.search(r"<any\(([^)]*)\):\w+>", rule)
    if choice:
        return [form for option in choice.group(1).split(",")
                for form in _documented_forms(rule.replace(choice.group(0), option.strip()))]
    return [re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule)]


def api_routes(app) -> set[tuple[str, str]]:
    return {(path, method.lower()) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
            for path in _documented_forms(rule.rule) for method in rule.methods - IGNORED_METHODS}


def test_every_api_route_is_in_the_document_and_nothing_else(app):
    documented = {(path, method) for path, operations in openapi_document()["paths"].items()
                  for method in operations}
    routes = api_routes(app)
    assert not routes - documented, f"routes without an OpenAPI entry: {sorted(routes - documented)}"
    assert not documented - routes, f"entries without a route: {sorted(documented - routes)}"


def test_the_routes_once_missing_are_described():
    paths = openapi_document()["paths"]
    for path in ("/api/v1/cases/{case_id}/materials", "/api/v1/audit/events", "/api/v1/audit/events.csv",
                 "/api/v1/audit/events.json"):
        assert path in paths, path


def test_every_path_parameter_is_declared_and_ids_are_bounded():
    for path, operations in openapi_document()["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in operations.items():
            declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "path"}
            assert set(declared) == names, (method, path)
            for parameter in declared.values():
                if parameter["schema"].get("type") == "integer":
                    assert parameter["schema"]["maximum"] == 2**31 - 1, (method, path)


def test_every_operation_says_what_it_refuses_in_chinese():
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            assert re.search(r"[\u4e00-\u9fff]", operation["summary"]), (method, path)
            assert "400" in operation["responses"], (method, path)
