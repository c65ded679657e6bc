"""The construction-project file (``data/projects.toml``): the shipped one and every rule.

Errors name the file, the line and the entry (a type's code, ``stages[N]``), in Chinese, and
every problem of the file is listed at once.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.bureau_data.catalogue_file import load_catalogue
from app.bureau_data.projects_file import load_projects, with_projects
from app.domain.errors import DataFileError
from app.domain.bureau.projects import carried, missing_main, owed_before_conclusion

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = load_catalogue(ROOT / "data" / "catalogue.toml")
PROCESSES = {"construction_project"}

# A valid file: two types and the four stages; tests change numbered lines (1-based).
BASE = """\
[[types]]
code = "GC-ZF"
name = "政府投资项目"
limits = [10, 8, 5, 3]
excluded_items = ["XK-0102"]

[[types]]
code = "GC-QY"
name = "企业投资项目"
limits = [5, 4, 3, 2]
excluded_items = ["XK-0101"]

[[stages]]
number = 1
name = "立项用地规划许可"
lead = "development_reform"
items = ["XK-0101", "XK-0102", "XK-0105"]
survey = { departments = ["natural_resources", "water"], risk_level = "中" }
materials = [
  { code = "S1-M01", name = "申请表", main = true },
  { code = "S1-M02", name = "节能报告", main = false },
]

[[stages]]
number = 2
name = "工程建设许可"
lead = "natural_resources"
items = ["XK-0011"]
materials = [
  { code = "S2-M01", name = "设计方案", main = true },
  { code = "S2-M02", name = "防雷装置设计文件", main = false },
]

[[stages]]
number = 3
name = "施工许可"
lead = "housing"
items = ["XK-0013"]
materials = [
  { code = "S3-M01", name = "施工合同", main = true },
]

[[stages]]
number = 4
name = "竣工验收"
lead = "housing"
acceptance = ["housing", "natural_resources"]
acceptance_item = "XK-0141"
materials = [
  { code = "S4-M01", name = "竣工验收报告", main = true },
  { code = "S4-M02", name = "城建档案", main = false },
]
"""


def make(tmp_path: Path, changes: dict[int, str | None] | None = None, append: str = "") -> Path:
    """Write BASE with line *n* replaced by ``changes[n]`` (None: commented out) plus *append*."""
    lines = BASE.splitlines()
    for number, text in (changes or {}).items():
        lines[number - 1] = text if text is not None else "#"
    path = tmp_path / "projects.toml"
    path.write_text("\n".join(lines) + "\n" + append, encoding="utf-8")
    return path


def fails(path: Path, line: int | None, entry: str | None, fragment: str, catalogue=CATALOGUE) -> DataFileError:
    """Load *path*; expect a problem at *line* / *entry* whose message contains *fragment*."""
    with pytest.raises(DataFileError) as caught:
        load_projects(path, catalogue, PROCESSES)
    error = caught.value
    assert error.file == str(path) and str(path) in error.message
    problems = error.details.get("problems") or [{"line": error.line, "entry": error.entry, "message": error.message}]
    matching = [p for p in problems if fragment in p["message"]]
    assert matching, f"no problem mentions {fragment!r}: {problems}"
    assert (matching[0]["line"], matching[0]["entry"]) == (line, entry), problems
    return error


def test_the_shipped_file_loads_two_types_of_four_stages():
    projects = load_projects(ROOT / "data" / "projects.toml", CATALOGUE, PROCESSES)
    government, enterprise = projects["GCXM-ZF"], projects["GCXM-QY"]
    assert government.limits == (15, 12, 7, 5) and enterprise.limits == (5, 6, 4, 4)
    assert government.promised_limit == 39 and enterprise.promised_limit == 19
    assert [s.name for s in government.stages] == ["立项用地规划许可", "工程建设许可", "施工许可", "竣工验收"]
    assert "XK-0101" in government.stage(1).items and "XK-0102" not in government.stage(1).items
    assert "XK-0102" in enterprise.stage(1).items and "XK-0101" not in enterprise.stage(1).items
    for project in (government, enterprise):
        for stage in project.stages[:3]:
            assert stage.items and any(m.main for m in stage.materials)
        assert project.stage(4).items == ("XK-0141",) and len(project.stage(4).acceptance) == 8
        codes = [m.code for m in project.materials]
        assert len(codes) == len(set(codes))
        assert {c: CATALOGUE.items[c].department for c in project.item_departments} == project.item_departments
    assert government.stage(1).survey is not None and government.stage(2).survey is None


def test_base_file_builds_the_domain_objects(tmp_path: Path):
    projects = load_projects(make(tmp_path), CATALOGUE, PROCESSES)
    government = projects["GC-ZF"]
    assert government.department == "development_reform" and government.last_stage == 4
    assert government.stage(1).items == ("XK-0101", "XK-0105")
    assert government.stage(1).survey.departments == ("natural_resources", "water")
    assert government.stage(1).survey.risk_level == "medium"
    assert government.material("S2-M02").name == "防雷装置设计文件"
    assert government.limit(3) == 5


def test_materials_between_stages(tmp_path: Path):
    project = load_projects(make(tmp_path), CATALOGUE, PROCESSES)["GC-ZF"]
    received = ["S1-M01", "S2-M01", "S3-M01", "S4-M01"]  # every main material, no secondary one
    assert missing_main(project.stage(2), []) == [project.material("S2-M01")]
    assert missing_main(project.stage(2), received) == []
    assert [m.code for m in carried(project, 1, received)] == ["S1-M02"]
    # a stage concludes without its own secondary materials, not without the earlier stages' ones
    assert owed_before_conclusion(project, 1, received) == []
    assert [m.code for _, m in owed_before_conclusion(project, 2, received)] == ["S1-M02"]
    assert [m.code for _, m in owed_before_conclusion(project, 3, received)] == ["S1-M02", "S2-M02"]
    # the last stage has no next one: everything
    assert [(s.number, m.code) for s, m in owed_before_conclusion(project, 4, received)] == [
        (1, "S1-M02"), (2, "S2-M02"), (4, "S4-M02")]


def test_no_file_means_no_project_types(tmp_path: Path):
    assert with_projects(CATALOGUE, tmp_path / "none.toml") is CATALOGUE
    loaded = with_projects(CATALOGUE, make(tmp_path), PROCESSES)
    assert set(loaded.projects) == {"GC-ZF", "GC-QY"} and loaded.subject("GC-QY").name == "企业投资项目"


# -- reading and syntax ------------------------------------------------------------

def test_toml_syntax_error_names_the_line(tmp_path: Path):
    error = fails(make(tmp_path, {4: "limits = [十, 8, 5, 3]"}), 4, None, "TOML 语法错误")
    assert error.code == "projects_syntax" and "工程建设项目文件" in error.message


def test_a_file_not_in_utf8_names_the_line(tmp_path: Path):
    path = tmp_path / "projects.toml"
    path.write_bytes(BASE.encode("utf-8").replace("企业投资项目".encode(), "企业投资项目".encode("gbk")))
    error = fails(path, 9, None, "UTF-8")
    assert error.code == "projects_encoding"


# -- keys and types ----------------------------------------------------------------

def test_a_misspelt_key_is_refused_with_a_suggestion(tmp_path: Path):
    fails(make(tmp_path, {4: "limit = [10, 8, 5, 3]"}), 4, "GC-ZF", "不认识的键 limit（是否应为 limits？）")


def test_unknown_top_level_key(tmp_path: Path):
    path = tmp_path / "projects.toml"
    path.write_text("version = 2\n" + BASE, encoding="utf-8")
    fails(path, 1, None, "不认识的顶层键 version")


@pytest.mark.parametrize("text,fragment", [
    ("limits = [10, 8, 5]", "limits 应为 4 个正整数"),
    ("limits = [10, 0, 5, 3]", "limits 应为 4 个正整数"),
    ('limits = "10"', "limits 应为数组"),
])
def test_limits_are_four_positive_working_day_counts(tmp_path: Path, text: str, fragment: str):
    fails(make(tmp_path, {4: text}), 4, "GC-ZF", fragment)


def test_type_codes_are_unique_and_differ_from_items(tmp_path: Path):
    fails(make(tmp_path, {8: 'code = "GC-ZF"'}), 8, "GC-ZF", "编码 GC-ZF 重复")
    fails(make(tmp_path, {2: 'code = "XK-0001"'}), 2, "XK-0001", "编码 XK-0001 重复")


def test_an_excluded_item_must_be_in_a_stage(tmp_path: Path):
    fails(make(tmp_path, {5: 'excluded_items = ["XK-0001"]'}), 5, "GC-ZF", "不在任何阶段中")


def test_exclusions_must_leave_every_stage_an_item(tmp_path: Path):
    fails(make(tmp_path, {5: 'excluded_items = ["XK-0011"]'}), 5, "GC-ZF", "第 2 阶段没有事项了")


def test_the_process_must_exist(tmp_path: Path):
    fails(make(tmp_path, {5: 'process = "no_such_process"'}), 5, "GC-ZF", "办理流程 no_such_process 不存在")


# -- stages --------------------------------------------------------------------------

def test_every_stage_from_one_to_four(tmp_path: Path):
    fails(make(tmp_path, {35: "number = 2"}), 35, "stages[2]", "第 2 阶段重复定义")
    fails(make(tmp_path, {35: "number = 5"}), 35, "stages[5]", "阶段序号 number 应为 1～4")


def test_a_missing_stage_is_named(tmp_path: Path):
    text = BASE[:BASE.index("[[stages]]\nnumber = 3")] + BASE[BASE.index("[[stages]]\nnumber = 4"):]
    path = tmp_path / "projects.toml"
    path.write_text(text, encoding="utf-8")
    fails(path, 13, None, "缺少第 3 阶段")


def test_departments_and_items_must_be_in_the_catalogue(tmp_path: Path):
    fails(make(tmp_path, {16: 'lead = "planning_bureau"'}), 16, "stages[1]", "牵头部门 planning_bureau 未在事项目录中定义")
    fails(make(tmp_path, {17: 'items = ["XK-0101", "XK-9999"]'}), 17, "stages[1]", "事项 XK-9999 未在事项目录中定义")
    fails(make(tmp_path, {47: 'acceptance = ["housing", "air_force"]'}), 47, "stages[4]", "部门 air_force 未在事项目录中定义")


def test_an_item_belongs_to_one_stage(tmp_path: Path):
    fails(make(tmp_path, {28: 'items = ["XK-0011", "XK-0105"]'}), 28, "stages[2]", "事项 XK-0105 已在第 1 阶段中")


def test_stages_one_to_three_list_items_and_the_fourth_lists_acceptance(tmp_path: Path):
    fails(make(tmp_path, {28: None}), 25, "stages[2]", "须在 items 中列出本阶段并联办理的事项")
    fails(make(tmp_path, {47: None}), 44, "stages[4]", "须在 acceptance 中列出参加联合验收的部门")
    fails(make(tmp_path, {48: None}), 47, "stages[4]", "acceptance_item")
    fails(make(tmp_path, {47: 'items = ["XK-0141"]'}), 47, "stages[4]", "不填写 items")
    fails(make(tmp_path, {28: 'acceptance = ["housing"]'}), 28, "stages[2]", "不填写 acceptance")


def test_a_survey_names_known_departments_and_a_risk_level(tmp_path: Path):
    fails(make(tmp_path, {18: 'survey = { departments = ["water"], risk_level = "极高" }'}), 18, "stages[1]",
          "风险等级应为 低、中 或 高")
    fails(make(tmp_path, {18: 'survey = { departments = [] }'}), 18, "stages[1]", "至少要有一个参加踏勘的部门")
    fails(make(tmp_path, {18: 'survey = { departments = ["water"], leader = "water" }'}), 18, "stages[1]",
          "不认识的键 leader")


def test_a_survey_needs_the_bureau_s_site_survey_section(tmp_path: Path):
    fails(make(tmp_path), 18, "stages[1]", "inspection_department",
          catalogue=replace(CATALOGUE, inspection_department=None))


def test_stage_materials(tmp_path: Path):
    fails(make(tmp_path, {31: '  { code = "S1-M01", name = "防雷装置设计文件", main = false },'}), 31,
          "stages[2]", "申请材料编码 S1-M01 重复")
    fails(make(tmp_path, {30: '  { code = "S2-M01", name = "设计方案", main = false },'}), 29, "stages[2]",
          "至少要有一项主要材料")
    fails(make(tmp_path, {40: '  { code = "S3 M01", name = "施工合同", main = true },'}), 40, "stages[3]",
          "编码不合规范")
    fails(make(tmp_path, {40: '  { code = "S3-M01", name = "施工合同" },'}), 40, "stages[3]", "缺少 main")


def test_every_problem_is_listed_at_once(tmp_path: Path):
    path = make(tmp_path, {4: "limits = [1]", 16: 'lead = "nobody"', 40: '  { code = "S3-M01", main = true },'})
    error = fails(path, 4, "GC-ZF", "limits 应为 4 个正整数")
    lines = [p["line"] for p in error.details["problems"]]
    assert lines == sorted(lines) and {4, 16, 40} <= set(lines)
    assert error.message.startswith(f"工程建设项目文件 {path} 有 {len(lines)} 处错误")
