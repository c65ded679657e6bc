"""办件编号: numbered within the bureau's year (Beijing time), consecutive, one per case."""
from __future__ import annotations

from tests.support.cases import register
from tests.support.time_limits import at


def test_a_case_registered_early_on_new_years_day_is_numbered_in_the_new_year(api, clock):
    # 07:30 on 1 January in Beijing is still 31 December in UTC
    at(clock, "2027-01-01", 7, 30)
    api.tokens.clear()
    first = register(api, "XK-0001")
    assert first["number"] == "2027-000001", first["number"]
    at(clock, "2027-01-01", 9, 0)
    api.tokens.clear()
    assert register(api, "XK-0001")["number"] == "2027-000002"
