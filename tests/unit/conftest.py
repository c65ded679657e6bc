"""Fixtures shared by the unit tests of the persistence layer."""
from __future__ import annotations

from typing import Any

import pytest

from app.services.access.auth import actor_for_username
from app.services.intake.application import Application
from app.services.intake.registration import register_case


@pytest.fixture
def case_id(ext: Any) -> int:
    """A case registered at the window (新华书店, XK-0009, every material): its id."""
    with ext.db.unit_of_work() as session:
        window = actor_for_username(session, "window")
        item = ext.runtime.catalogue.item("XK-0009")
        case = register_case(session, ext.runtime, window,
                             Application(item.code, {"name": "新华书店"}, [m.code for m in item.materials]))
        return case.id
