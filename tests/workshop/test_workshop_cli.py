"""The workshop on the command line: the baseline imported, and the nightly run of the library
whose failure is an incident (``oneseal scenarios nightly``, for the scheduler)."""
from __future__ import annotations

from click.testing import CliRunner

from app.cli import main
from app.persistence.background.incidents import open_incidents
from tests.support.api import PASSWORD
from tests.support.workshop import FAILING, save


def environment(settings):
    return {"ONESEAL_DATABASE_URL": settings.database_url, "ONESEAL_INSTANCE_DIR": str(settings.instance_dir),
            "ONESEAL_SECRET_KEY": "cli-test", "ONESEAL_DEMO_PASSWORD": PASSWORD}


def test_the_baseline_is_imported_once(settings, app):
    runner = CliRunner()
    first = runner.invoke(main, ["scenarios", "import-baseline"], env=environment(settings))
    assert first.exit_code == 0, first.output
    assert "导入或更新" in first.output and " 0 个" not in first.output
    again = runner.invoke(main, ["scenarios", "import-baseline"], env=environment(settings))
    assert "导入或更新 0 个" in again.output


def test_a_failing_nightly_run_exits_1_and_is_an_incident(settings, app, api, ext):
    save(api, "会失败的场景", FAILING)
    result = CliRunner().invoke(main, ["scenarios", "nightly"], env=environment(settings))
    assert result.exit_code == 1, result.output
    assert "有场景未通过" in result.output
    with ext.db.session(write=False) as session:
        assert [i.kind for i in open_incidents(session)] == ["scenarios"]
