"""OneSeal — 一枚印章管审批. ``create_app`` builds the Flask application."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask

from app.config import Settings
from app.domain.timing.clock import Clock
from app.persistence.engine.db import Database
from app.services.runtime import Runtime, build_runtime
from app.web.edge.flask_app import ServiceFlask

log = logging.getLogger(__name__)


@dataclass
class Extension:
    """What the app keeps for request handlers: the database and the runtime."""

    db: Database
    runtime: Runtime


def create_app(settings: Settings | None = None, *, clock: Clock | None = None,
               warm: bool = True, runtime: Runtime | None = None) -> Flask:
    """The application; ``runtime`` one already built (a scenario's sandbox shares the service's
    catalogue, rules and parsed diagrams), else built from ``settings``."""
    settings = settings or Settings.load()
    app = ServiceFlask(__name__, instance_path=str(settings.instance_dir))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
        TESTING=settings.testing,
    )
    # a service checkpoints SQLite's log from a thread, never in a request's commit
    db = Database(settings.database_url, background_checkpoints=True)
    runtime = runtime or build_runtime(settings, clock)
    app.extensions["oneseal"] = Extension(db, runtime)
    if settings.broker_url and not runtime.push_waiters:
        from app.jobs.broker import push_nudge

        runtime.push_waiters.append(push_nudge(settings))
    if warm:
        _warm(db, runtime)
        _record_rules(db, runtime)

    from app.web.cases import api as api_routes
    from app.web.audit import api as audit_api
    from app.web.audit import pages as audit_pages
    from app.web.operations import metrics as metrics_route
    from app.web.certificates import api as certificates_api
    from app.web.modeler import pages as modeler_pages
    from app.web import pages
    from app.web.operations import probes
    from app.web.modeler import api as process_models_api
    from app.web.audit import workshop_api
    from app.web.audit import workshop_pages
    from app.web.statistics import api as statistics_api
    from app.web.statistics import pages as statistics_pages
    from app.web.supervision import api as supervision_api
    from app.web.supervision import pages as supervision_pages
    from app.web.edge import browser_session, client_address, errors, observe, request_input

    observe.init_app(app, settings.log_format)  # request id, timing, metrics, the access log line
    request_input.install(app)  # before the routes: bounded ids, and the first before_request
    browser_session.init_app(app)
    client_address.init_app(app, settings.trusted_proxies)

    app.register_blueprint(probes.bp)
    app.register_blueprint(api_routes.bp)
    app.register_blueprint(process_models_api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(audit_api.bp)
    app.register_blueprint(certificates_api.bp)
    app.register_blueprint(audit_pages.bp)
    app.register_blueprint(modeler_pages.bp)
    app.register_blueprint(workshop_api.bp)
    app.register_blueprint(workshop_pages.bp)
    app.register_blueprint(metrics_route.bp)
    app.register_blueprint(statistics_api.bp)
    app.register_blueprint(statistics_pages.bp)
    app.register_blueprint(supervision_api.bp)
    app.register_blueprint(supervision_pages.bp)
    errors.register(app)
    return app


def _warm(db: Database, runtime: Runtime) -> None:
    """Parse deployed diagrams once, before the first request (a fresh database has none)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from app.services.processes.deployed import warm_cache

    session = db.session(write=False)
    try:
        count = warm_cache(session, runtime)
        log.info("parsed %d deployed process versions", count)
    except (OperationalError, ProgrammingError):
        log.warning("database has no schema yet; run `oneseal init-db`")
    finally:
        session.close()


def _record_rules(db: Database, runtime: Runtime) -> None:
    """At service start: a ``rules_changed`` audit event if the rules files changed since."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from app.services.actor import SYSTEM
    from app.services.audit.rules_changes import record_rules_versions

    try:
        with db.unit_of_work() as session:
            for event in record_rules_versions(session, runtime, SYSTEM):
                log.info("rules changed: %s %s → %s", event.element_id,
                         event.before.get("version"), event.after.get("version"))
    except (OperationalError, ProgrammingError):
        log.warning("database has no schema yet; rules versions not recorded")
