"""What every job is given: the database, the runtime (clock, engine, settings) and the outbox
handlers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.config import Settings
from app.jobs.handlers import HANDLERS, Handlers
from app.persistence.engine.db import Database
from app.services.runtime import Runtime


@dataclass
class JobContext:
    db: Database
    runtime: Runtime
    handlers: Handlers = field(default_factory=lambda: HANDLERS)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def now(self) -> datetime:
        return self.runtime.clock.now()


def build_context(settings: Settings) -> JobContext:
    """A context for a worker process of its own (the Celery worker's children build one each)."""
    from app.services.runtime import build_runtime

    return JobContext(Database(settings.database_url), build_runtime(settings))
