"""``oneseal validate FILE…``: the pipeline without a database; given files may call each other."""
from __future__ import annotations

from click.testing import CliRunner

from app.cli import main
from tests.support.model_samples import calling, fan_out, linear


def run(*paths) -> object:
    return CliRunner().invoke(main, ["validate", *map(str, paths)])


def test_a_file_may_call_a_process_given_with_it_or_shipped(tmp_path):
    caller, called = tmp_path / "caller.bpmn", tmp_path / "called.bpmn"
    caller.write_bytes(calling("county_check", pid="county_main"))
    called.write_bytes(linear(pid="county_check"))
    assert run(caller).exit_code == 1  # alone, its called process is missing
    assert "called_process_missing" in run(caller).output
    together = run(caller, called)
    assert together.exit_code == 0, together.output
    assert "process_called_only" in together.output  # county_check is only called, not in the catalogue
    shipped_call = tmp_path / "uses_shipped.bpmn"
    shipped_call.write_bytes(calling("site_inspection", pid="uses_shipped"))
    assert run(shipped_call).exit_code == 0


def test_findings_print_severity_code_and_element(tmp_path):
    wide = tmp_path / "并联.bpmn"
    wide.write_bytes(fan_out(6))
    result = run(wide)
    assert result.exit_code == 1
    assert "错误 [fan_out_too_wide]" in result.output and "split（分送各部门）" in result.output
    assert "通过" not in result.output
