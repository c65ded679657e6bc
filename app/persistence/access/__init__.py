"""Queries about who acts: users, browser sessions, failed attempts, idempotency keys."""
