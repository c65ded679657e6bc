"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``.

Every route of the JSON API has its entry (a test compares the document with the URL map);
parameters and bodies carry the bounds the edge enforces, so generated requests are meaningful.
"""
from __future__ import annotations

from typing import Any

from app.web.openapi.audit import audit_paths
from app.web.openapi.cases import case_paths
from app.web.openapi.certificates import certificate_paths
from app.web.openapi.models import model_paths
from app.web.openapi.parts import SCHEMAS
from app.web.openapi.probes import probe_paths
from app.web.openapi.scenarios import scenario_paths
from app.web.openapi.statistics import statistics_paths
from app.web.openapi.supervision import supervision_paths


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "OneSeal 一枚印章管审批 API", "version": "1.0.0"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
        "security": [{"bearer": []}],
        "paths": {**probe_paths(), **case_paths(), **model_paths(), **audit_paths(), **scenario_paths(),
                  **statistics_paths(), **certificate_paths(), **supervision_paths()},
    }
