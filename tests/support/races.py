"""Several people pressing the button at the same instant, through the JSON API."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def race(api: Any, calls: list[tuple[str, str, dict]], headers: dict[str, str] | None = None) -> list[Answer]:
    """POST every ``(user, url, body)`` from its own thread, all released by one barrier.

    Each thread has its own test client (its own request context and database session), as
    separate browsers would; ``headers`` go with every request; the answers come back in the
    order of ``calls``.
    """
    for user, _url, _body in calls:
        api.token(user)
    barrier = threading.Barrier(len(calls))
    answers: list[Answer | None] = [None] * len(calls)

    def fire(index: int, user: str, url: str, body: dict) -> None:
        client = api.http.application.test_client()
        barrier.wait()
        response = client.post(url, json=body,
                               headers={"Authorization": f"Bearer {api.tokens[user]}", **(headers or {})})
        answers[index] = Answer(response.status_code, response.get_json(silent=True),
                                response.get_data(as_text=True), dict(response.headers))

    threads = [threading.Thread(target=fire, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(a is not None for a in answers), "a request did not come back"
    return [a for a in answers if a is not None]
