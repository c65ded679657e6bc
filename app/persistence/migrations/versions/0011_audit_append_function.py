"""PostgreSQL: the audit trail's appends at commit in one call (oneseal_append_events): the chain's
lock, its tip and the inserts in one round trip, each event's hash computed in the database from
the canonical text the service sends around the place of the previous hash. SQLite: nothing.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 17:20:00.000000
"""
from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

#: the function as this revision defines it; app/persistence/audit/chain.py calls it
APPEND_EVENTS = """
CREATE OR REPLACE FUNCTION oneseal_append_events(events jsonb) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  tip text;
  event jsonb;
  digest text;
  appended integer := 0;
BEGIN
  -- the chain's lock (app/persistence/audit/chain.py lock_chain), held to the commit; a VOLATILE
  -- function's next statement sees what was committed before the lock was granted
  PERFORM pg_advisory_xact_lock(7422001);
  SELECT hash INTO tip FROM audit_events ORDER BY id DESC LIMIT 1;
  tip := coalesce(tip, repeat('0', 64));
  FOR event IN SELECT value FROM jsonb_array_elements(events) LOOP
    digest := encode(sha256(convert_to((event->>'head') || tip || (event->>'tail'), 'UTF8')), 'hex');
    INSERT INTO audit_events (occurred_at, actor, action, case_id, element_id, before, after, prev_hash, hash,
                              request_id)
    VALUES ((event->>'occurred_at')::timestamptz, event->>'actor', event->>'action', (event->>'case_id')::integer,
            event->>'element_id', (event->>'before')::json, (event->>'after')::json, tip, digest,
            event->>'request_id');
    tip := digest;
    appended := appended + 1;
  END LOOP;
  RETURN appended;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_EVENTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS oneseal_append_events(jsonb)")
