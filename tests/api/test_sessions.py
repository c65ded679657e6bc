"""Signed-in sessions live on the server: logging out, idling, their age and a password change end
them, whatever copy of the cookie exists; last seen is written at most once a minute."""
from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.persistence.tables.access import WebSession
from app.persistence.models import AuditEvent
from tests.support.api import PASSWORD
from tests.support.pages import csrf, login, signed_in, text

NEW_PASSWORD = "换一个新密码-2026"


def copy_of(app: Any, client: Any) -> Any:
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_out(client: Any, path: str = "/") -> bool:
    response = client.get(path)
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(app, api):
    client, token = signed_in(app, "reviewer_market")
    copy = copy_of(app, client)
    assert copy.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert signed_out(client)
    for path in ("/", "/?tab=done", "/modeler/", "/cases/1"):
        assert signed_out(copy, path), path
    response = copy.post("/tasks/x/claim", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?next=")
    assert copy.get("/modeler/api/process-models").status_code == 401


def test_logout_is_in_the_audit_trail_and_the_session_row_says_why(app, ext):
    client, token = signed_in(app, "reviewer_market")
    client.post("/logout", data={"csrf_token": token})
    with ext.db.session(write=False) as session:
        row = session.scalars(select(WebSession)).one()
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "reviewer_market")).all()
    assert row.ended_at is not None and row.end_reason == "logout"
    assert actions == ["login", "logout"]


def test_the_cookie_carries_no_identity(app):
    client, _ = signed_in(app, "reviewer_market")
    with client.session_transaction() as session:
        assert set(session) <= {"sid", "csrf", "_flashes"}
        assert "reviewer_market" not in str(dict(session))


def test_a_session_ends_after_idling(app, clock):
    client, _ = signed_in(app, "reviewer_market")
    clock.advance(minutes=25)
    assert client.get("/").status_code == 200  # in use: the idle time starts again
    clock.advance(minutes=25)
    assert client.get("/").status_code == 200
    clock.advance(minutes=31)
    assert signed_out(client)
    login(client, "reviewer_market")
    assert client.get("/").status_code == 200


def test_a_session_ends_at_its_absolute_lifetime_even_in_use(app, clock):
    client, _ = signed_in(app, "reviewer_market")
    for _ in range(35):  # 11 h 40 min of steady use
        clock.advance(minutes=20)
        assert client.get("/").status_code == 200
    clock.advance(minutes=21)
    assert signed_out(client)


def test_last_seen_is_written_at_most_once_a_minute(app, ext, clock):
    client, _ = signed_in(app, "reviewer_market")

    def last_seen() -> Any:
        with ext.db.session(write=False) as session:
            return session.scalars(select(WebSession.last_seen_at)).one()

    signed_in_at = last_seen()
    for _ in range(5):
        client.get("/")
    assert last_seen() == signed_in_at
    clock.advance(seconds=61)
    client.get("/")
    assert last_seen() > signed_in_at


def test_a_password_change_ends_every_session_and_token_of_the_user(app, api, ext):
    first, _ = signed_in(app, "reviewer_market")
    second, _ = signed_in(app, "reviewer_market")
    other, _ = signed_in(app, "reviewer2_market")
    assert api.get("/api/v1/tasks", as_user="reviewer_market").status_code == 200
    result = CliRunner().invoke(main, ["users", "set-password", "reviewer_market"],
                                input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
                                env={"ONESEAL_DATABASE_URL": ext.db.url})
    assert result.exit_code == 0, result.output
    assert "reviewer_market" in result.output and "会话" in result.output
    assert signed_out(first) and signed_out(second)
    assert other.get("/").status_code == 200  # another user's session is untouched
    assert api.get("/api/v1/tasks", as_user="reviewer_market").status_code == 401
    refused = api.http.post("/api/v1/auth/token", json={"username": "reviewer_market", "password": PASSWORD})
    assert refused.status_code == 401
    accepted = api.http.post("/api/v1/auth/token", json={"username": "reviewer_market", "password": NEW_PASSWORD})
    assert accepted.status_code == 200
    with ext.db.session(write=False) as session:
        reasons = session.scalars(select(WebSession.end_reason)).all()
        assert sorted(r or "" for r in reasons) == ["", "password_changed", "password_changed"]
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "password_changed")).all()


def test_the_cli_refuses_a_short_or_mismatched_password_and_an_unknown_user(app, ext):
    env = {"ONESEAL_DATABASE_URL": ext.db.url}
    short = CliRunner().invoke(main, ["users", "set-password", "reviewer_market"], input="short\nshort\n", env=env)
    assert short.exit_code == 1 and "至少 8 个字符" in short.output
    unknown = CliRunner().invoke(main, ["users", "set-password", "nobody"],
                                 input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n", env=env)
    assert unknown.exit_code == 1 and "nobody" in unknown.output
    api_token = app.test_client().post("/api/v1/auth/token", json={"username": "reviewer_market",
                                                                     "password": PASSWORD})
    assert api_token.status_code == 200  # nothing changed


def test_users_change_their_own_password_on_a_page(app, api):
    client, token = signed_in(app, "reviewer_market")
    elsewhere, _ = signed_in(app, "reviewer_market")
    assert "修改密码" in text(client.get("/account/password"))
    wrong = client.post("/account/password", data={"csrf_token": token, "current": "wrong",
                                                   "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 400 and "当前密码不正确" in text(wrong)
    mismatch = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD,
                                                      "new": NEW_PASSWORD, "confirm": "another-one"})
    assert mismatch.status_code == 400 and "两次输入的新密码不一致" in text(mismatch)
    assert elsewhere.get("/").status_code == 200  # refusals changed nothing
    done = client.post("/account/password", data={"csrf_token": token, "current": PASSWORD,
                                                  "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # this browser is signed in again, on a new session
    assert signed_out(elsewhere)
    fresh = app.test_client()
    response = fresh.post("/login", data={"username": "reviewer_market", "password": NEW_PASSWORD,
                                          "csrf_token": csrf(fresh, "/login")})
    assert response.status_code == 302


def test_signing_in_again_ends_the_browser_s_earlier_session(app, ext):
    client, _ = signed_in(app, "reviewer_market")
    copy = copy_of(app, client)
    login(client, "reviewer2_market")
    assert client.get("/").status_code == 200
    assert signed_out(copy)  # the earlier session's cookie opens nothing any more
    with ext.db.session(write=False) as session:
        assert sorted(r or "" for r in session.scalars(select(WebSession.end_reason))) == ["", "replaced"]


def test_a_request_without_the_session_cookie_builds_no_signer(app, api, monkeypatch):
    """The Bearer API never carries the cookie: its session is the empty one, at no cost; a
    browser's cookie is still read and checked."""
    built = []
    interface = app.session_interface
    original = interface.get_signing_serializer
    monkeypatch.setattr(interface, "get_signing_serializer", lambda flask_app: built.append(1) or original(flask_app))
    assert api.get("/api/v1/tasks", "reviewer_market").status_code == 200
    assert app.test_client().get("/api/v1/health").status_code == 200
    stranger = app.test_client()
    stranger.set_cookie("other", "1")  # another cookie is not the session's
    assert stranger.get("/api/v1/health").status_code == 200
    assert built == []
    client, _ = signed_in(app, "reviewer_market")
    assert built  # signing in wrote the cookie with the signer
    built.clear()
    assert client.get("/").status_code == 200 and built  # and a signed-in page reads it with it
    forged = app.test_client()
    forged.set_cookie("session", "not-a-signed-value")
    assert signed_out(forged)
