"""The database's schema history: Alembic's environment (``env.py``) and one script per schema
change in ``versions/``, shipped inside the package so that an installed ``oneseal`` upgrades
its own database (``oneseal db upgrade``; ``app/persistence/engine/migrate.py`` runs them).

``0001`` creates the schema of the release before migrations existed (commit 0e509ab), exactly as
that release's ``create_all`` made it, so a database of that release is adopted by stamping it.
Every later schema change is a new script here, written with ``op.batch_alter_table`` so that it
runs on SQLite (which rebuilds the table) and PostgreSQL (which alters it in place).
"""
