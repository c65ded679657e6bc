"""Typed models, queries as plain functions taking a Session, and the hash-chained audit trail."""
