"""Which database the suite runs on: SQLite by default, PostgreSQL when ``ONESEAL_DATABASE_URL`` names one."""
from __future__ import annotations

import os

BASE_URL = os.environ.get("ONESEAL_DATABASE_URL", "")
ON_POSTGRES = BASE_URL.startswith("postgresql")
