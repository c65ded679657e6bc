"""Who the client is: the connecting address, or, behind proxies the settings trust
(``ONESEAL_TRUSTED_PROXIES``), the address the nearest trusted proxy put in ``X-Forwarded-For``.
A client's own ``X-Forwarded-For`` is never believed."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request

from app.domain.errors import InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_EXTENSION = "oneseal_trusted_proxies"


@dataclass(frozen=True)
class TrustedProxies:
    """Either a number of proxy hops in front of the service (each appends the address it saw),
    or the proxies' addresses and networks; neither: the connecting address is the client."""

    hops: int = 0
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, raw: str) -> TrustedProxies:
        raw = raw.strip()
        if not raw:
            return cls()
        if raw.isdigit():
            return cls(hops=int(raw))
        try:
            return cls(networks=tuple(ipaddress.ip_network(part.strip(), strict=False)
                                      for part in raw.split(",") if part.strip()))
        except ValueError:
            raise InvalidInput("invalid_trusted_proxies",
                               "ONESEAL_TRUSTED_PROXIES 应为代理层数（如 1），或以逗号分隔的代理地址、网段"
                               f"（如 10.0.0.1,10.1.0.0/16）：{raw}", setting="trusted_proxies") from None

    def _trusted(self, address: str) -> bool:
        if not self.networks:  # nothing to compare with: no address need be parsed (every request asks)
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def is_proxy(self, remote: str) -> bool:
        """Whether a request connecting from ``remote`` came through a trusted proxy (whose
        headers, such as ``X-Request-Id``, may then be believed)."""
        return bool(self.hops) or self._trusted(remote)

    def client(self, remote: str, forwarded_for: str | None) -> str:
        """The client of a request that arrived from ``remote`` with this ``X-Forwarded-For``."""
        chain = [part.strip() for part in (forwarded_for or "").split(",") if part.strip()] + [remote]
        if self.hops:
            return chain[-(self.hops + 1)] if len(chain) > self.hops else chain[0]
        while len(chain) > 1 and self._trusted(chain[-1]):
            chain.pop()
        return chain[-1]


def init_app(app: Flask, trusted_proxies: str) -> None:
    """Read the setting once, at start: a bad one stops the service."""
    app.extensions[_EXTENSION] = TrustedProxies.parse(trusted_proxies)


def trusted_proxies() -> TrustedProxies:
    proxies: Any = current_app.extensions[_EXTENSION]
    return proxies


def client_address() -> str:
    proxies: Any = current_app.extensions[_EXTENSION]
    return proxies.client(request.remote_addr or "unknown", request.headers.get("X-Forwarded-For"))
