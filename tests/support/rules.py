"""Shared material for the rules tests: the rules folder and an inspection only R5 claims."""
from __future__ import annotations

import re
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
CJK = re.compile(r"[\u4e00-\u9fff]")

# An inspection that no rule but R5 claims: one department, no parallel approval, low risk,
# not technical, bureau qualified.
PLAIN_FACTS = {
    "requires_site_inspection": True,
    "departments_involved": 1,
    "parallel_approval": False,
    "risk_level": "low",
    "technical": False,
    "bureau_qualified": True,
}
