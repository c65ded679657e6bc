"""Alembic's environment: the migrations run on the connection ``app/persistence/engine/migrate.py``
hands over, inside the transaction it opened (one transaction for the whole upgrade, on SQLite
as on PostgreSQL), against the models' metadata."""
from __future__ import annotations

from alembic import context

from app.persistence.engine.migrate import configure_context

configure_context(context, context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
