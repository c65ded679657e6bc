"""The supervising departments' endpoints, managed by administrators; and the check that keeps a
push from being turned against the bureau's own network (SSRF).

A URL must be http(s), carry no credentials, and name a host whose every address is public: not
the bureau's own server, loopback, a private or link-local network (the cloud metadata address
169.254.169.254 among them), multicast or reserved — unless the host (or ``host:port``) is
listed in ``ONESEAL_SUPERVISION_ALLOWED_HOSTS``, for test receivers and internal networks. The
same check runs again before every delivery, on the addresses the name resolves to then.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from typing import Any, TypedDict
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput, NotFound
from app.domain.roles import WINDOW_DEPARTMENT, Role
from app.persistence.audit.chain import append_event
from app.persistence.tables.push import SupervisionEndpoint
from app.persistence.background.push_queue import wake_department
from app.services.actor import Actor
from app.services.runtime import Runtime

MAX_URL = 2000
MIN_SECRET, MAX_SECRET = 16, 256
MAX_ITEMS = 200
_ITEM_CODE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class UnsafeUrl(ValueError):
    """Why a URL may not be pushed to (Chinese, shown to the administrator or in the incident)."""


def allowed_hosts(setting: str) -> set[str]:
    return {h.strip().lower() for h in setting.split(",") if h.strip()}


def check_url(url: str, allowed: set[str], *, resolver: Resolver = resolve,
              own_hosts: frozenset[str] = frozenset()) -> list[str]:
    """Raise :class:`UnsafeUrl` unless the URL may receive the bureau's events; the addresses its
    host resolved to, every one checked (none when the host is allowed by name in the setting),
    for the sender to connect to exactly those — not to what the name resolves to a moment later."""
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        # urlsplit drops tabs and line breaks silently: the check would see another URL than is sent
        raise UnsafeUrl("地址中不能包含空白或控制字符（如换行、制表符）")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("地址格式不正确") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("只能使用 http 或 https 地址")
    if parts.username or parts.password:
        raise UnsafeUrl("地址中不能包含用户名或密码")
    host = (parts.hostname or "").lower()
    if not host.rstrip("."):
        raise UnsafeUrl("地址缺少主机名")
    port = port or (443 if parts.scheme == "https" else 80)
    if host in allowed or f"{host}:{port}" in allowed:
        return []
    name = host.rstrip(".")  # "name." is the same host as "name"
    own = {own_name.rstrip(".") for own_name in own_hosts}
    if name in own or name in ("localhost", "localhost.localdomain") or name.endswith(".localhost"):
        raise UnsafeUrl("不能推送到本系统自身的服务器")
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError):
        raise UnsafeUrl(f"无法解析主机名 {host}") from None
    if not addresses:
        raise UnsafeUrl(f"无法解析主机名 {host}")
    if set(addresses) & _addresses_of(own, port, resolver):  # the bureau's own server under another name
        raise UnsafeUrl("不能推送到本系统自身的服务器")
    for address in addresses:
        for ip in _with_embedded(ipaddress.ip_address(address.split("%")[0])):
            if ip.is_global and not ip.is_multicast:
                continue
            raise UnsafeUrl(f"地址 {host} 指向内部或保留网络（{ip}），不能作为推送地址；"
                            "如确为内部网络，请由运维人员加入 ONESEAL_SUPERVISION_ALLOWED_HOSTS")
    return [address.split("%")[0] for address in addresses]


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _with_embedded(ip: _Address) -> list[_Address]:
    """The address and every IPv4 address an IPv6 one carries (mapped ``::ffff:a.b.c.d``,
    compatible ``::a.b.c.d``, 6to4 ``2002:…``, Teredo, NAT64 ``64:ff9b::a.b.c.d``): each must be public."""
    found: list[_Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            found.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            found.append(ip.sixtofour)
        if ip.teredo is not None:
            found.extend(ip.teredo)
        if ip.packed[:12] == bytes(12) or any(ip in net for net in _NAT64):
            found.append(ipaddress.IPv4Address(ip.packed[-4:]))
    return found


def _addresses_of(hosts: set[str], port: int, resolver: Resolver) -> set[str]:
    found: set[str] = set()
    for host in hosts:
        try:
            found.add(str(ipaddress.ip_address(host)))  # an address needs no resolving
        except ValueError:
            try:
                found.update(resolver(host, port))
            except (OSError, UnicodeError):
                continue
    return found


def own_hosts(runtime: Runtime) -> frozenset[str]:
    """The names the bureau's own server answers to."""
    host = urlsplit(runtime.settings.public_url).hostname
    return frozenset({host.lower()} if host else set())


class EndpointView(TypedDict):
    department: str
    department_name: str
    url: str
    items: list[str]
    updated_at: str
    updated_by: str


def _view(runtime: Runtime, row: SupervisionEndpoint) -> EndpointView:
    return {"department": row.department, "department_name": runtime.catalogue.department_name(row.department),
            "url": row.url, "items": list(row.items or []), "updated_at": row.updated_at.isoformat(),
            "updated_by": row.updated_by}


def list_endpoints(session: Session, runtime: Runtime, actor: Actor) -> list[EndpointView]:
    actor.require(Role.ADMIN, Role.LEADER)
    return [_view(runtime, row) for row in session.scalars(select(SupervisionEndpoint)
                                                           .order_by(SupervisionEndpoint.department))]


def _department(runtime: Runtime, department: str) -> str:
    if department not in runtime.catalogue.departments or department == WINDOW_DEPARTMENT:
        raise NotFound("department_not_found", f"部门 {department[:64]} 不在事项目录的部门中", department=department[:64])
    return department


def put_endpoint(session: Session, runtime: Runtime, actor: Actor, department: str, body: dict[str, Any],
                 *, resolver: Resolver = resolve) -> tuple[EndpointView, bool]:
    """Create or replace a department's endpoint; True when it was created."""
    actor.require(Role.ADMIN)
    department = _department(runtime, department)
    unknown = sorted(set(body) - {"url", "secret", "items"})
    if unknown:
        raise InvalidInput("unknown_field", f"不认识的字段：{'、'.join(unknown)[:200]}", field=unknown[0][:64])
    url, secret, items = body.get("url"), body.get("secret"), body.get("items", [])
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL:
        raise InvalidInput("invalid_url", f"推送地址（url）应为不超过 {MAX_URL} 个字符的 http(s) 地址", field="url")
    url = url.strip()
    try:
        check_url(url, allowed_hosts(runtime.settings.supervision_allowed_hosts), resolver=resolver,
                  own_hosts=own_hosts(runtime))
    except UnsafeUrl as err:
        raise InvalidInput("unsafe_url", f"推送地址不可用：{err}", field="url") from None
    if not isinstance(secret, str) or not MIN_SECRET <= len(secret) <= MAX_SECRET or not secret.isprintable():
        raise InvalidInput("invalid_secret", f"签名密钥（secret）应为 {MIN_SECRET} 至 {MAX_SECRET} 个可打印字符",
                           field="secret")
    if not isinstance(items, list) or len(items) > MAX_ITEMS or not all(
            isinstance(code, str) and _ITEM_CODE.fullmatch(code) for code in items):
        raise InvalidInput("invalid_items", f"订阅事项（items）应为不超过 {MAX_ITEMS} 个事项编码的列表", field="items")
    unknown_items = [code for code in items if code not in runtime.catalogue.items]
    if unknown_items:
        raise InvalidInput("unknown_item", f"事项 {'、'.join(unknown_items[:5])} 不在事项目录中", field="items")
    now = runtime.clock.now()
    row = session.get(SupervisionEndpoint, department, with_for_update=True)
    created = row is None
    before = {} if row is None else {"url": row.url, "items": list(row.items or [])}
    if row is None:
        row = SupervisionEndpoint(department=department, url=url, secret=secret, items=list(dict.fromkeys(items)),
                                  updated_at=now, updated_by=actor.username)
        session.add(row)
    else:
        row.url, row.secret, row.items = url, secret, list(dict.fromkeys(items))
        row.updated_at, row.updated_by = now, actor.username
    session.flush()
    wake_department(session, department, now)  # what waited for the endpoint goes now
    append_event(session, occurred_at=now, actor=actor.username, action="supervision_endpoint_set", before=before,
                 after={"department": department, "url": url, "items": row.items, "secret_changed": True})
    return _view(runtime, row), created


def delete_endpoint(session: Session, runtime: Runtime, actor: Actor, department: str) -> None:
    actor.require(Role.ADMIN)
    row = session.get(SupervisionEndpoint, department[:64], with_for_update=True)
    if row is None:
        raise NotFound("endpoint_not_found", f"部门 {department[:64]} 未设置推送地址", department=department[:64])
    now = runtime.clock.now()
    append_event(session, occurred_at=now, actor=actor.username, action="supervision_endpoint_deleted",
                 before={"department": row.department, "url": row.url, "items": list(row.items or [])})
    session.delete(row)


def secret_of(session: Session, department: str) -> str | None:
    """The department's shared secret (for checking its signed calls)."""
    return session.scalar(select(SupervisionEndpoint.secret).where(SupervisionEndpoint.department == department))
