"""The test users' password and a JSON client that signs in as demo users."""
from __future__ import annotations

from typing import Any

#: the demo users' password in every test database
PASSWORD = "test-password"


class ApiClient:
    """A JSON client that logs in as demo users and keeps one token per user."""

    def __init__(self, flask_client: Any) -> None:
        self.http = flask_client
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = self.http.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.get_json()
            self.tokens[username] = response.get_json()["token"]
        return self.tokens[username]

    def _headers(self, username: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if username:
            headers["Authorization"] = f"Bearer {self.token(username)}"
        return headers

    def get(self, path: str, as_user: str | None = None, **kwargs: Any) -> Any:
        return self.http.get(path, headers=self._headers(as_user, kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, as_user: str | None = None, **kwargs: Any) -> Any:
        return self.http.post(path, headers=self._headers(as_user, kwargs.pop("headers", None)), **kwargs)

    def put(self, path: str, as_user: str | None = None, **kwargs: Any) -> Any:
        return self.http.put(path, headers=self._headers(as_user, kwargs.pop("headers", None)), **kwargs)

    def delete(self, path: str, as_user: str | None = None, **kwargs: Any) -> Any:
        return self.http.delete(path, headers=self._headers(as_user, kwargs.pop("headers", None)), **kwargs)
