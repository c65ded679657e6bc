"""Typed models, queries as plain functions taking a Session, the hash-chained audit trail, and the
schema's migrations (``migrations/``, run by ``migrate``; ``schema_check`` compares a database with
the models)."""
