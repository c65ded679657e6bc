"""Case numbers as people type them: with or without the dash, full-width, with spaces."""
import pytest

from app.domain.cases.numbers import case_number


@pytest.mark.parametrize("typed, number", [
    ("2026-000123", "2026-000123"), ("2026000123", "2026-000123"), (" 2026 - 000123 ", "2026-000123"),
    ("２０２６－０００１２３", "2026-000123"), ("2026—000123", "2026-000123"),
])
def test_typed_numbers_become_the_receipts_number(typed, number):
    assert case_number(typed) == number


@pytest.mark.parametrize("typed", ["", "2026-00012", "20260001234", "张三", "2026-000123x", "٢٠٢٦٠٠٠١٢٣"])
def test_anything_else_is_not_a_number(typed):
    assert case_number(typed) is None
