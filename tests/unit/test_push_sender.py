"""The push's sender connects to the address its check approved: a name that resolves to a public
address when checked and to the bureau's own network a moment later (DNS rebinding) still reaches
only the address checked, with the host named in ``Host`` (and, over TLS, in SNI and the
certificate check)."""
from __future__ import annotations

from typing import Any

from app.jobs.push import Sender


class _Pool:
    def __init__(self, seen: dict[str, Any]) -> None:
        self.seen = seen

    def urlopen(self, method: str, path: str, **kwargs: Any) -> Any:
        self.seen.update(method=method, path=path, host_header=kwargs["headers"]["Host"],
                         redirect=kwargs["redirect"])

        class _Response:
            status = 204
        return _Response()


def _sender(answers: list[list[str]], seen: dict[str, Any]) -> Sender:
    sender = Sender(resolver=lambda _host, _port: answers.pop(0))

    class _Manager:
        def connection_from_host(self, host: str, port: int, scheme: str, pool_kwargs: Any = None) -> _Pool:
            seen.update(address=host, port=port, scheme=scheme, tls=pool_kwargs)
            return _Pool(seen)
    sender._pool = _Manager()  # type: ignore[assignment]
    return sender


def test_the_post_goes_to_the_address_that_was_checked_not_to_a_second_look_up():
    seen: dict[str, Any] = {}
    sender = _sender([["93.184.216.34"], ["127.0.0.1"]], seen)  # the second answer would be loopback
    url = "https://receiver.market.example/oneseal/events?v=1"
    assert sender.refusal(url, set(), frozenset()) is None
    answer = sender.post(url, b"{}", {"Content-Type": "application/json"}, 1.0)
    assert answer.ok
    assert seen["address"] == "93.184.216.34" and seen["port"] == 443 and seen["scheme"] == "https"
    assert seen["tls"] == {"server_hostname": "receiver.market.example", "assert_hostname": "receiver.market.example"}
    assert seen["host_header"] == "receiver.market.example" and seen["path"] == "/oneseal/events?v=1"
    assert seen["redirect"] is False


def test_a_name_that_now_resolves_inside_is_refused_before_anything_is_sent():
    seen: dict[str, Any] = {}
    sender = _sender([["10.0.0.7"]], seen)
    refusal = sender.refusal("http://receiver.market.example/x", set(), frozenset())
    assert refusal is not None and "内部" in refusal and seen == {}
