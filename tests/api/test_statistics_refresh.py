"""效能统计 kept current off the request path: a registration or an acceptance only marks the day,
department and item it moved; whoever reads the figures (the statistics, the day's supervision,
the command line) first computes the marked rows again, and so does the worker's every pass. A
reader therefore never sees a figure a committed change has moved, and a refresh never removes
a mark it did not read."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.persistence.tables.figures import DailyFigure, FigureRefresh
from app.services.statistics import rollup
from app.services.statistics.rollup import catch_up, rebuild
from app.worker import Worker
from tests.support.cases import register
from tests.support.races import race
from tests.support.statistics import on, statistics, step
from tests.support.time_limits import PUBLICATION

CULTURE = "culture_tourism"
MARCH_2 = date(2026, 3, 2)


def _marks(ext) -> list[tuple[date, str, str]]:
    with ext.db.session(write=False) as session:
        return [tuple(r) for r in session.execute(
            select(FigureRefresh.day, FigureRefresh.department, FigureRefresh.item_code).order_by(FigureRefresh.id))]


def _received_row(ext, day: date) -> int | None:
    with ext.db.session(write=False) as session:
        return session.scalar(select(DailyFigure.received).where(
            DailyFigure.day == day, DailyFigure.department == CULTURE, DailyFigure.item_code == PUBLICATION))


def test_a_registration_and_its_acceptance_mark_the_day_and_the_reader_finds_them_counted(api, ext, clock):
    on(api, clock, "2026-03-02")
    case = register(api, PUBLICATION)
    step(api, case)  # 受理
    # the request only marked the day: the roll-up row is not computed in its transaction
    assert _marks(ext) == [(MARCH_2, CULTURE, PUBLICATION)] * 2
    assert _received_row(ext, MARCH_2) is None
    figures = statistics(api, **{"from": "2026-03-02", "to": "2026-03-02"})
    assert figures["received"] == 1 and figures["accepted"] == 1
    assert _marks(ext) == [] and _received_row(ext, MARCH_2) == 1


def test_the_worker_pass_computes_what_changes_marked(api, ext, clock):
    on(api, clock, "2026-03-02")
    for _ in range(3):
        register(api, PUBLICATION)
    assert len(_marks(ext)) == 3
    report = Worker(ext.db, ext.runtime).run_pass()
    assert report.figures == 3 and "统计更新 3 行" in str(report)
    assert _marks(ext) == [] and _received_row(ext, MARCH_2) == 3
    assert Worker(ext.db, ext.runtime).run_pass().figures == 0  # nothing marked: nothing written


def test_a_mark_made_after_the_refresh_read_the_marks_is_left_for_the_next(api, ext, clock, monkeypatch):
    on(api, clock, "2026-03-02")
    register(api, PUBLICATION)
    computed = rollup.refresh
    late = {"day": date(2026, 3, 3), "department": CULTURE, "item_code": PUBLICATION}

    def refresh_while_a_change_marks(session, calendar, keys):
        # a change committing between the read of the marks and their removal (on SQLite it
        # can only be this transaction's own write; on PostgreSQL another's could land here)
        session.execute(FigureRefresh.__table__.insert(), late)
        computed(session, calendar, keys)

    monkeypatch.setattr(rollup, "refresh", refresh_while_a_change_marks)
    with ext.db.unit_of_work() as session:
        assert catch_up(session, ext.runtime.calendar) == 1
    assert _marks(ext) == [(date(2026, 3, 3), CULTURE, PUBLICATION)]
    monkeypatch.setattr(rollup, "refresh", computed)
    with ext.db.unit_of_work() as session:
        assert catch_up(session, ext.runtime.calendar) == 1
    assert _marks(ext) == []


def test_simultaneous_registrations_are_all_counted_and_none_waits_on_another_mark(api, ext, clock):
    on(api, clock, "2026-03-02")
    body = {"item_code": PUBLICATION, "applicant": {"name": "并发申请人"}, "materials": ["M01", "M02", "M03"]}
    answers = race(api, [("window", "/api/v1/cases", body)] * 6)
    assert [a.status for a in answers] == [201] * 6, [a.body for a in answers]
    assert len(_marks(ext)) == 6  # one row each: nobody updated another's
    assert statistics(api, **{"from": "2026-03-02", "to": "2026-03-02"})["received"] == 6
    assert _marks(ext) == []


def test_a_rebuild_clears_the_marks_of_its_period_only(api, ext, clock):
    on(api, clock, "2026-03-02")
    register(api, PUBLICATION)
    on(api, clock, "2026-03-04")
    register(api, PUBLICATION)
    with ext.db.unit_of_work() as session:
        rebuild(session, ext.runtime.calendar, MARCH_2, MARCH_2)
    assert _marks(ext) == [(date(2026, 3, 4), CULTURE, PUBLICATION)]
    assert _received_row(ext, MARCH_2) == 1
    with ext.db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(DailyFigure)) == 1


def test_with_a_broker_beats_refresh_task_computes_what_changes_marked(api, ext, clock):
    from app.jobs.broker import REFRESH_FIGURES, celery_app
    from tests.support.jobs import celery_runner, wait_for, worker_thread

    assert celery_app(ext.runtime.settings).conf.beat_schedule["refresh-figures"]["task"] == REFRESH_FIGURES
    on(api, clock, "2026-03-02")
    register(api, PUBLICATION)
    register(api, PUBLICATION)
    with celery_runner(ext) as celery, worker_thread(celery):
        celery.refresh_figures.delay()  # what beat sends, through Redis
        wait_for(lambda: _marks(ext) == [], what="the marks computed")
    assert _received_row(ext, MARCH_2) == 2
