"""What each server process keeps in memory stays right when several processes share one
database: definitions are kept by version id only once the version is committed."""
from __future__ import annotations

from app.persistence.engine.db import Database
from app.services.actor import SYSTEM
from app.services.processes.deployed import definition_for, deploy, version_documents
from app.services.runtime import build_runtime
from tests.support.model_samples import linear


def test_a_rolled_back_deployment_leaves_nothing_a_later_version_could_be_mistaken_for(settings, database_url):
    db = Database(database_url)
    first, second = build_runtime(settings), build_runtime(settings)  # two server processes
    try:
        with db.session() as session:  # the first process deploys, then its transaction fails
            abandoned = deploy(session, first, SYSTEM, filename="probe.bpmn", content=linear(task_name="审查"),
                               process_id="probe")
            abandoned_id = abandoned.id
            session.rollback()
        assert abandoned_id not in first.by_version
        with db.unit_of_work() as session:  # the second deploys other content (SQLite: the same id)
            kept = deploy(session, second, SYSTEM, filename="probe.bpmn", content=linear(task_name="复核"),
                          process_id="probe")
        with db.session(write=False) as session:
            version = session.merge(kept)
            running = definition_for(session, first, version.id)
            assert running is first.definitions.compile(version_documents(session, version), "probe")
            assert running.human_task("review").name == "复核"
        assert kept.id in second.by_version  # committed: kept by id from now on
    finally:
        db.dispose()
