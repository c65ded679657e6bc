"""Fuzzing every operation of the OpenAPI document finds no 5xx and no answer unlike the document.

A short run (a few generated requests per operation, as window, reviewer, designer, auditor and
admin) on the suite's database; ``scripts/fuzz_api.py`` runs the same for minutes.
"""
from __future__ import annotations

from tests.support.api import PASSWORD
from tests.support.api_fuzzing import fuzz, fuzz_for, prepare

EXAMPLES_PER_OPERATION = 20


def test_no_operation_answers_a_generated_request_with_a_server_error(app):
    report = fuzz_for(app, PASSWORD, seconds=0, examples=EXAMPLES_PER_OPERATION)
    print(report.summary)
    assert report.operations >= 26
    assert report.requests >= 5 * report.operations
    assert not report.server_errors, "\n".join(report.server_errors[:10])
    assert not report.nonconforming, "\n".join(report.nonconforming[:10])



def test_a_run_whose_time_runs_out_in_the_middle_of_an_operation_ends_cleanly(app):
    """``scripts/fuzz_api.py --minutes M`` stops sending when its time is up, wherever it is in a
    pass. The examples generated after that must draw what they would have drawn had they been
    sent: Hypothesis stops a run whose draws change from one example to the next on the same
    path ("inconsistent data generation"), which the script's 2-minute run did (50 examples an
    operation, its second seed, time up in the middle of an operation: as here)."""
    tokens, known = prepare(app, PASSWORD)
    asked = {"n": 0}

    def keep_going() -> bool:
        asked["n"] += 1
        return asked["n"] <= 878

    report = fuzz(app, tokens, known, examples=50, run_seed=1, keep_going=keep_going)
    assert report.requests == 878 and report.operations >= 26
