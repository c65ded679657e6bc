"""Certificate numbers: the counter moved on and read in one statement where the database
returns the new value, and the same numbers where it cannot."""
from __future__ import annotations

from app.domain.licences.certificates import DocumentKind
from app.services.certificates.numbering import next_number


def _issue(ext, count: int, item: str = "XK-0002") -> list[str]:
    numbers = []
    for _ in range(count):
        with ext.db.unit_of_work() as session:
            numbers.append(next_number(session, 2026, item, DocumentKind.CERTIFICATE))
    return numbers


def test_numbers_follow_each_other_per_item_and_kind(ext):
    assert _issue(ext, 3) == ["2026-XK-0002-Z00001", "2026-XK-0002-Z00002", "2026-XK-0002-Z00003"]
    assert _issue(ext, 1, "XK-0001") == ["2026-XK-0001-Z00001"]
    with ext.db.unit_of_work() as session:
        assert next_number(session, 2026, "XK-0002", DocumentKind.REFUSAL) == "2026-XK-0002-N00001"


def test_a_database_without_returning_gets_the_same_numbers(ext, monkeypatch):
    with ext.db.unit_of_work() as session:
        dialect = session.get_bind().dialect
    assert dialect.update_returning  # both databases here return the new value in the statement
    _issue(ext, 2)
    monkeypatch.setattr(dialect, "update_returning", False)
    assert _issue(ext, 2) == ["2026-XK-0002-Z00003", "2026-XK-0002-Z00004"]


def test_a_step_rolled_back_gives_its_number_back(ext):
    _issue(ext, 1)
    try:
        with ext.db.unit_of_work() as session:
            assert next_number(session, 2026, "XK-0002", DocumentKind.CERTIFICATE) == "2026-XK-0002-Z00002"
            raise RuntimeError("签章失败")
    except RuntimeError:
        pass
    assert _issue(ext, 1) == ["2026-XK-0002-Z00002"]


def test_steps_issuing_at_the_same_moment_get_distinct_numbers(ext):
    """Six steps at once, the first of them before the counter row exists: six numbers, none twice."""
    import threading

    barrier = threading.Barrier(6)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def issue() -> None:
        try:
            with ext.db.unit_of_work() as session:
                barrier.wait(timeout=10)
                number = next_number(session, 2026, "XK-0003", DocumentKind.CERTIFICATE)
            numbers.append(number)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    for _round in range(2):  # the counter row made by the race, then moved on by it
        threads = [threading.Thread(target=issue) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        barrier.reset()
    assert not errors
    assert sorted(numbers) == [f"2026-XK-0003-Z{n:05d}" for n in range(1, 13)]
