"""The step vocabulary of the Chinese scenarios, one module per subject. Importing this package
registers every step in :data:`app.scenarios.language.registry.VOCABULARY`; :data:`SUBJECTS` is the
order of the step catalogue's sections."""
from __future__ import annotations

from app.scenarios.language.registry import VOCABULARY, Step
from app.scenarios.vocabulary import (
    audit,
    bundles,
    cases,
    certificates,
    clock,
    commitment,
    inbox,
    inspection,
    materials,
    parallel,
    projects,
    rules,
    statistics,
    supplement,
    supervision_push,
    workshop,
)

#: the subjects in the order an auditor meets them: a case's life, then its aspects, then the audit
SUBJECTS = (cases, materials, supplement, commitment, inbox, clock, inspection, rules, parallel, bundles,
            projects, statistics, certificates, supervision_push, audit, workshop)


def steps() -> list[Step]:
    """Every step a scenario may use."""
    return list(VOCABULARY.steps)
