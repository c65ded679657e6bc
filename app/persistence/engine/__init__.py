"""The database itself: engines and sessions, the declarative base, commit hooks, row writes, SQLite's checkpoints, migrations and the schema check."""
