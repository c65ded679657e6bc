"""Rules files are checked on load: every problem names the file, the rule and the line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.domain.errors import DataFileError
from app.rules_engine import check_rules_dir, load_rules_engine

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
SHIPPED = (RULES_DIR / "inspection.toml").read_text(encoding="utf-8")
CJK = re.compile(r"[\u4e00-\u9fff]")
R2_CONDITION = '{ fact = "departments_involved", op = ">", value = 1 }'
R3_CONDITION = '{ fact = "risk_level", op = "==", value = "high" }'


def write(directory: Path, text: str, name: str = "inspection.toml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def broken(tmp_path: Path, old: str, new: str) -> tuple[DataFileError, Path, str]:
    assert old in SHIPPED
    text = SHIPPED.replace(old, new, 1)
    path = write(tmp_path / "rules", text)
    with pytest.raises(DataFileError) as caught:
        load_rules_engine(path.parent)
    error = caught.value
    assert error.file == str(path) and error.details["file"] == str(path)
    assert CJK.search(error.message), error.message
    return error, path, text


@pytest.mark.parametrize("old, new, rule_id, code", [
    (R2_CONDITION, '{ fact = "departmentz", op = ">", value = 1 }', "R2", "rule_unknown_fact"),
    (R3_CONDITION, '{ fact = "risk_level", op = ">", value = "high" }', "R3", "rule_bad_op"),
    (R2_CONDITION, '{ fact = "departments_involved", op = "=>", value = 1 }', "R2", "rule_bad_op"),
    (R2_CONDITION, '{ fact = "departments_involved", op = ">", value = "1" }', "R2",
     "rule_bad_value"),
    (R2_CONDITION, '{ fact = "departments_involved", op = ">", value = true }', "R2",
     "rule_bad_value"),
    (R3_CONDITION, '{ fact = "risk_level", op = "==", value = "hgih" }', "R3", "rule_bad_value"),
    (R3_CONDITION, '{ fact = "risk_level", op = "in", value = [] }', "R3", "rule_bad_value"),
    (R2_CONDITION, '{ fact = "departments_involved", op = ">" }', "R2", "rule_bad_condition"),
    (R2_CONDITION, '{ every = [] }', "R2", "rule_bad_condition"),
    ('outcome = "entrusted"', 'outcome = "entrust"', "R4", "rule_unknown_outcome"),
    ("priority = 30", "priority = 20", "R3", "rule_duplicate_priority"),
    ("priority = 30", 'priority = "30"', "R3", "rule_bad_priority"),
    ('id = "R4"', 'id = "R2"', "R2", "rule_duplicate_id"),
    ("extras = { invite_experts = true }", "extras = { invite_expert = true }", "R3",
     "rule_unknown_extra"),
    ("extras = { invite_experts = true }", 'extras = { invite_experts = "yes" }', "R3",
     "rule_bad_extra"),
    ("priority = 40", "prority = 40", "R4", "rule_unknown_key"),
])
def test_broken_rule_names_file_rule_and_line(tmp_path: Path, old: str, new: str, rule_id: str,
                                              code: str) -> None:
    error, path, text = broken(tmp_path, old, new)
    assert error.code == code
    assert error.entry == rule_id and error.details["entry"] == rule_id
    assert rule_id in error.message
    id_lines = [i for i, line in enumerate(text.splitlines(), start=1)
                if line.strip() == f'id = "{rule_id}"']
    expected_line = id_lines[-1] if code == "rule_duplicate_id" else id_lines[0]
    assert error.line == expected_line
    assert str(error).startswith(f"{path}:{expected_line} [{rule_id}]: ")


def test_toml_syntax_error_has_line(tmp_path: Path) -> None:
    error, _, text = broken(tmp_path, "priority = 30", "priority = = 30")
    assert error.code == "rules_file_syntax"
    assert error.line == line_of(text, "priority = = 30")


@pytest.mark.parametrize("old, new, code, entry", [
    ('[facts.technical]\ntype = "bool"', '[facts.technical]\ntype = "float"', "ruleset_bad_fact",
     "facts.technical"),
    ("[facts.technical]", "[facts.sid]", "ruleset_bad_fact", "facts.sid"),
    ("min = 1\n", "min = 1\nmaximum = 5\n", "ruleset_bad_fact", "facts.departments_involved"),
    ('default_outcome = "independent"', 'default_outcome = "skip"', "ruleset_bad_header",
     "ruleset"),
    ('version = "2026.1"', 'version = ""', "ruleset_bad_header", "ruleset"),
    ("[ruleset]", "[rulesets]", "ruleset_unknown_key", "rulesets"),
    ('labels = { low = "低", medium = "中", high = "高" }', 'labels = { lowest = "最低" }',
     "ruleset_bad_fact", "facts.risk_level"),
    ('labels = { low = "低", medium = "中", high = "高" }', 'labels = { low = "" }',
     "ruleset_bad_fact", "facts.risk_level"),
])
def test_broken_header_or_schema(tmp_path: Path, old: str, new: str, code: str,
                                 entry: str) -> None:
    error, _, _ = broken(tmp_path, old, new)
    assert (error.code, error.entry) == (code, entry)


def test_fact_errors_point_at_their_table(tmp_path: Path) -> None:
    error, _, text = broken(tmp_path, '[facts.technical]\ntype = "bool"',
                            '[facts.technical]\ntype = "float"')
    assert error.line == line_of(text, "[facts.technical]")


def test_check_reports_every_problem(tmp_path: Path) -> None:
    text = SHIPPED.replace(R2_CONDITION, '{ fact = "departmentz", op = ">", value = 1 }')
    text = text.replace('outcome = "entrusted"', 'outcome = "entrust"')
    write(tmp_path, text)
    write(tmp_path, "[ruleset\n", name="broken.toml")
    problems = check_rules_dir(tmp_path)
    found = {(Path(p.file).name, p.entry, p.code) for p in problems}
    assert found == {("inspection.toml", "R2", "rule_unknown_fact"),
                     ("inspection.toml", "R4", "rule_unknown_outcome"),
                     ("broken.toml", None, "rules_file_syntax")}


def test_check_empty_missing_and_duplicate(tmp_path: Path) -> None:
    assert [p.code for p in check_rules_dir(tmp_path)] == ["rules_dir_empty"]
    assert [p.code for p in check_rules_dir(tmp_path / "nope")] == ["rules_dir_missing"]
    write(tmp_path, SHIPPED, name="a.toml")
    write(tmp_path, SHIPPED + "\n# copy\n", name="b.toml")
    problems = check_rules_dir(tmp_path)
    assert [(p.code, Path(p.file).name) for p in problems] == [("ruleset_duplicate_name", "b.toml")]
    with pytest.raises(DataFileError) as caught:
        load_rules_engine(tmp_path)
    assert caught.value.code == "ruleset_duplicate_name"


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path, SHIPPED + "#" * 300_000)
    with pytest.raises(DataFileError) as caught:
        load_rules_engine(tmp_path)
    assert caught.value.code == "rules_file_too_large"


def test_version_changes_when_the_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED)
    first = load_rules_engine(tmp_path).version_of("inspection")
    again = load_rules_engine(tmp_path).version_of("inspection")
    path.write_text(SHIPPED + "\n# 注释也算改动\n", encoding="utf-8")
    edited = load_rules_engine(tmp_path)
    second = edited.version_of("inspection")
    assert first == again and first != second
    assert first.startswith("2026.1+") and second.startswith("2026.1+")
    facts = {"requires_site_inspection": False, "departments_involved": 1,
             "parallel_approval": False, "risk_level": "low", "technical": False,
             "bureau_qualified": True}
    assert edited.evaluate("inspection", facts).ruleset_version == second


def test_enum_labels_make_the_explanation_chinese() -> None:
    engine = load_rules_engine(RULES_DIR)
    facts = {"requires_site_inspection": True, "departments_involved": 1, "parallel_approval": False,
             "risk_level": "high", "technical": False, "bureau_qualified": True}
    decision = engine.evaluate("inspection", facts)
    assert decision.explain_zh() == ("依据规则 R3「高风险（重大公共安全）→联合核查并邀请专家」："
                                     "事项需要现场核查为“是”，风险等级为“高” → 联合核查（邀请专家参加核查）")
    assert decision.to_dict()["explanation_zh"] == decision.explain_zh()
