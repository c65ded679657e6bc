"""Every action the code writes to the audit trail has a Chinese name (no machine code in front
of people: the trail, the timelines and the exports show the name)."""
import re
from pathlib import Path

from app.services.audit.trail import ACTION_LABELS
from app.services.certificates.status import ACTION_LABELS as CERTIFICATE_ACTIONS

ROOT = Path(__file__).resolve().parents[2]


def test_every_recorded_action_has_a_chinese_name():
    written = set()
    for source in (ROOT / "app").rglob("*.py"):
        if source.name == "status.py" and source.parent.name == "certificates":
            continue  # the registry's own history actions, written to the trail with a prefix (below)
        written |= set(re.findall(r'action="([a-z_]+)"', source.read_text(encoding="utf-8")))
    # the registry's history actions reach the trail as certificate_<action>
    written |= {f"certificate_{action}" for action in CERTIFICATE_ACTIONS}
    assert written, "no actions found"
    assert sorted(written - ACTION_LABELS.keys()) == []
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in ACTION_LABELS.values())
