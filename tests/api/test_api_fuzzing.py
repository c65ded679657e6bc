"""Fuzzing every operation of the OpenAPI document finds no 5xx and no answer unlike the document.

A short run (a few generated requests per operation, as window, reviewer, designer, auditor and
admin) on the suite's database; ``scripts/fuzz_api.py`` runs the same for minutes.
"""
from __future__ import annotations

from tests.support.api import PASSWORD
from tests.support.api_fuzzing import fuzz_for

EXAMPLES_PER_OPERATION = 20


def test_no_operation_answers_a_generated_request_with_a_server_error(app):
    report = fuzz_for(app, PASSWORD, seconds=0, examples=EXAMPLES_PER_OPERATION)
    print(report.summary)
    assert report.operations >= 26
    assert report.requests >= 5 * report.operations
    assert not report.server_errors, "\n".join(report.server_errors[:10])
    assert not report.nonconforming, "\n".join(report.nonconforming[:10])

