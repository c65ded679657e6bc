"""Process models through the JSON API: upload a diagram, save a version, deploy it, find a model."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

XML = {"Content-Type": "application/xml"}


def upload(api: Any, name: str, content: bytes, user: str = "designer", expect: int = 201, **query: str) -> dict:
    params = "&".join(f"{k}={quote(v)}" for k, v in {"name": name, **query}.items())
    response = api.post(f"/api/v1/process-models?{params}", as_user=user, data=content, headers=XML)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def save(api: Any, model_id: int, content: bytes, comment: str = "", user: str = "designer", expect: int = 201) -> dict:
    response = api.post(f"/api/v1/process-models/{model_id}/versions?comment={quote(comment)}", as_user=user,
                        data=content, headers=XML)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def deploy(api: Any, model_id: int, version: int, user: str = "designer", expect: int = 200, **body: Any) -> dict:
    response = api.post(f"/api/v1/process-models/{model_id}/versions/{version}/deploy", as_user=user,
                        json=body or None)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def model_named(api: Any, name: str, user: str = "designer") -> dict:
    models = api.get("/api/v1/process-models", as_user=user).get_json()["models"]
    return next(m for m in models if m["name"] == name)
