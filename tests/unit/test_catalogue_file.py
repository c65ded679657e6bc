"""The item catalogue file: the shipped demo catalogue and every validation rule."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.bureau_data.catalogue_file import (
    CATALOGUE_FILE_HELP,
    load_catalogue,
    parse_catalogue,
)
from app.domain.bureau.catalogue import ItemKind, Material
from app.domain.errors import DataFileError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "catalogue.toml"
PROCESSES = {"standard_promised", "immediate"}

# A valid two-item catalogue; tests change numbered lines (1-based) of it.
BASE = """\
[[departments]]
code = "market"
name = "市场监督管理局"

[[items]]
code = "XK-0001"
name = "食品经营许可"
department = "market"
kind = "承诺件"
statutory_limit = 20
promised_limit = 10
site_inspection = true
process = "standard_promised"
legal_basis = "《中华人民共和国食品安全法》第三十五条"
materials = [
  { code = "M01", name = "食品经营许可申请书", main = true },
  { code = "M02", name = "营业执照", main = false },
]

[[items]]
code = "XK-0002"
name = "食品经营许可证补办"
department = "market"
kind = "即办件"
statutory_limit = 10
promised_limit = 0
site_inspection = false
process = "immediate"
materials = [
  { code = "M01", name = "补办申请书", main = true },
]

[bureau]
name = "县行政审批服务局"
inspection_department = "market"
"""


def make(tmp_path: Path, changes: dict[int, str | None] | None = None, append: str = "") -> Path:
    """Write BASE with line *n* replaced by ``changes[n]`` (None deletes it) plus *append*."""
    lines = BASE.splitlines()
    for number, text in (changes or {}).items():
        lines[number - 1] = text if text is not None else "#"
    path = tmp_path / "catalogue.toml"
    path.write_text("\n".join(lines) + "\n" + append, encoding="utf-8")
    return path


def fails(path: Path, line: int | None, entry: str | None, fragment: str,
          known_processes: set[str] | None = PROCESSES) -> DataFileError:
    """Load *path*, expect a problem at *line* / *entry* whose message contains *fragment*."""
    with pytest.raises(DataFileError) as caught:
        load_catalogue(path, known_processes)
    error = caught.value
    assert error.file == str(path)
    assert str(path) in error.message
    problems = error.details.get("problems") or [
        {"line": error.line, "entry": error.entry, "message": error.message}]
    matching = [p for p in problems if fragment in p["message"]]
    assert matching, f"no problem mentions {fragment!r}: {problems}"
    assert (matching[0]["line"], matching[0]["entry"]) == (line, entry), problems
    summary = (f"第 {line} 行" if line else "") + (f"［{entry}］" if entry else "")
    assert summary in error.message and fragment in error.message
    if len(problems) == 1:
        assert (error.line, error.entry) == (line, entry)
    return error


# -- the shipped demo catalogue ------------------------------------------------

def _shipped_process_ids() -> set[str]:
    ids = set()
    for diagram in (ROOT / "processes").glob("*.bpmn"):
        ids.update(re.findall(r'<bpmn:process id="([^"]+)"', diagram.read_text(encoding="utf-8")))
    return ids


def test_shipped_catalogue_loads() -> None:
    assert PROCESSES <= _shipped_process_ids()
    catalogue = load_catalogue(SHIPPED, _shipped_process_ids())
    items = list(catalogue.items.values())
    assert catalogue.source == str(SHIPPED)
    assert len(items) >= 16
    assert catalogue.departments["window"].name == "综合受理窗口"
    used = {item.department for item in items}
    assert "window" not in used
    assert len(used) >= 8 and used <= set(catalogue.departments)
    assert {item.process for item in items} <= _shipped_process_ids()
    immediate = [item for item in items if item.kind is ItemKind.IMMEDIATE]
    assert len(immediate) >= 4
    assert sum(item.site_inspection for item in items) >= 6


def test_shipped_items_are_complete_and_consistent() -> None:
    catalogue = load_catalogue(SHIPPED, _shipped_process_ids())
    for item in catalogue.items.values():
        assert re.fullmatch(r"XK-\d{4}", item.code)
        assert 3 <= len(item.materials) <= 6, item.code
        assert item.legal_basis.startswith("《"), item.code
        assert re.search(r"[\u4e00-\u9fff]", item.name)
        if item.kind is ItemKind.IMMEDIATE:
            assert (item.process, item.promised_limit) == ("immediate", 0), item.code
        else:
            # items several departments review together run the parallel-approval process
            expected = ("parallel_approval" if item.parallel else
                        "commitment_approval" if item.commitment else "standard_promised")
            assert item.process == expected, item.code
            assert 1 <= item.promised_limit <= item.statutory_limit, item.code
    assert catalogue.item("XK-0001").name == "食品经营许可"


def test_base_file_builds_domain_objects(tmp_path: Path) -> None:
    catalogue = load_catalogue(make(tmp_path), PROCESSES)
    food = catalogue.item("XK-0001")
    assert food.kind is ItemKind.PROMISED and food.department == "market"
    assert (food.statutory_limit, food.promised_limit, food.site_inspection) == (20, 10, True)
    assert food.materials == (Material("M01", "食品经营许可申请书", True),
                              Material("M02", "营业执照", False))
    assert food.fee == "不收费"
    copy = catalogue.item("XK-0002")
    assert copy.kind is ItemKind.IMMEDIATE and copy.legal_basis == ""
    assert catalogue.department_name("market") == "市场监督管理局"


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert len(load_catalogue(path).items) == 2


def test_help_and_parse_from_text() -> None:
    assert "promised_limit" in CATALOGUE_FILE_HELP and "即办件" in CATALOGUE_FILE_HELP
    assert parse_catalogue(BASE, source="上传的目录").source == "上传的目录"


# -- reading and syntax ------------------------------------------------------------

def test_toml_syntax_error_reports_line(tmp_path: Path) -> None:
    error = fails(make(tmp_path, {11: "promised_limit = 十"}), 11, None, "TOML 语法错误")
    assert error.code == "catalogue_syntax" and "第 11 行" in error.message


def test_unterminated_string_reports_last_line(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text('[[departments]]\ncode = "market\n', encoding="utf-8")
    fails(path, 2, None, "TOML 语法错误")


def test_duplicate_key_is_a_syntax_error(tmp_path: Path) -> None:
    fails(make(tmp_path, {12: "promised_limit = 5"}), 12, None, "重复定义")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError) as caught:
        load_catalogue(tmp_path / "none.toml")
    assert caught.value.code == "catalogue_unreadable"
    assert "none.toml" in caught.value.message


def test_non_utf8_file_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(BASE.replace("营业执照", "营业执照GBK").encode("utf-8")
                     .replace("GBK".encode(), "执照".encode("gbk")))
    error = fails(path, 17, None, "UTF-8")
    assert error.code == "catalogue_encoding"


# -- structure ----------------------------------------------------------------------

def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text("version = 1\n" + BASE, encoding="utf-8")
    fails(path, 1, None, "不认识的顶层键 version")


def test_items_required(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text("\n".join(BASE.splitlines()[:3]) + "\n", encoding="utf-8")
    fails(path, None, None, "[[items]]")


def test_department_checks(tmp_path: Path) -> None:
    fails(make(tmp_path, {3: None}), 1, "market", "缺少名称（name）")
    fails(make(tmp_path, {2: 'code = "Market Bureau"'}), 2, "Market Bureau", "编码不合规范")
    fails(make(tmp_path, {3: 'nmae = "市场监督管理局"'}), 3, "market", "不认识的键 nmae（是否应为 name？）")
    duplicate = '\n[[departments]]\ncode = "market"\nname = "另一个局"\n'
    fails(make(tmp_path, append=duplicate), 38, "market", "部门编码 market 重复")


# -- item rules ---------------------------------------------------------------------

def test_missing_required_key(tmp_path: Path) -> None:
    fails(make(tmp_path, {7: None}), 5, "XK-0001", "缺少名称（name）")
    fails(make(tmp_path, {29: None, 30: None, 31: None}), 20, "XK-0002", "缺少申请材料（materials）")


def test_missing_code_names_entry_by_position(tmp_path: Path) -> None:
    fails(make(tmp_path, {21: None}), 20, "items[2]", "缺少编码（code）")


def test_unknown_item_key_is_an_error(tmp_path: Path) -> None:
    error = fails(make(tmp_path, {11: "promissed_limit = 10"}), 11, "XK-0001",
                  "不认识的键 promissed_limit（是否应为 promised_limit？）")
    assert any("缺少承诺时限" in p["message"] for p in error.details["problems"])


@pytest.mark.parametrize(("line", "text", "fragment"), [
    (10, 'statutory_limit = "20"', "法定时限（statutory_limit）应为整数"),
    (11, "promised_limit = true", "承诺时限（promised_limit）应为整数"),
    (10, "statutory_limit = 20.0", "应为整数（不加引号），实际是小数"),
    (12, 'site_inspection = "是"', "应为布尔值"),
    (7, "name = 12", "名称（name）应为字符串"),
    (7, 'name = "  "', "名称（name）不能为空"),
    (14, "legal_basis = 35", "办理依据（legal_basis）应为字符串"),
    (15, 'materials = "申请书" #', "申请材料（materials）应为数组"),
])
def test_types_are_checked(tmp_path: Path, line: int, text: str, fragment: str) -> None:
    changes: dict[int, str | None] = {line: text}
    if line == 15:
        changes.update({16: None, 17: None, 18: None})
    fails(make(tmp_path, changes), line, "XK-0001", fragment)


def test_duplicate_item_code(tmp_path: Path) -> None:
    fails(make(tmp_path, {21: 'code = "XK-0001"'}), 21, "XK-0001", "事项编码 XK-0001 重复")


@pytest.mark.parametrize("code", ["XK 0001", "XK-", "许可-1", "XK/0001"])
def test_item_code_pattern(tmp_path: Path, code: str) -> None:
    fails(make(tmp_path, {6: f'code = "{code}"'}), 6, code, "编码不合规范")


def test_department_must_exist(tmp_path: Path) -> None:
    fails(make(tmp_path, {23: 'department = "health"'}), 23, "XK-0002",
          "实施部门 health 未在 [[departments]] 中定义")


def test_kind_must_be_known(tmp_path: Path) -> None:
    fails(make(tmp_path, {9: 'kind = "承诺"'}), 9, "XK-0001", "只能是“即办件”或“承诺件”")
    fails(make(tmp_path, {9: 'kind = "promised"'}), 9, "XK-0001", "办件类型 'promised' 无效")


def test_limits_are_non_negative(tmp_path: Path) -> None:
    fails(make(tmp_path, {10: "statutory_limit = -1"}), 10, "XK-0001", "法定时限（statutory_limit）不能为负数")


def test_promised_limit_within_statutory_limit(tmp_path: Path) -> None:
    fails(make(tmp_path, {11: "promised_limit = 21"}), 11, "XK-0001",
          "承诺时限（21 个工作日）超过了法定时限（20 个工作日）")


def test_immediate_item_has_no_promised_limit(tmp_path: Path) -> None:
    fails(make(tmp_path, {26: "promised_limit = 3"}), 26, "XK-0002", "即办件，承诺时限（promised_limit）应为 0")


def test_promised_item_needs_a_promised_limit(tmp_path: Path) -> None:
    fails(make(tmp_path, {11: "promised_limit = 0"}), 11, "XK-0001", "承诺件，承诺时限（promised_limit）至少为 1")


def test_process_must_be_known(tmp_path: Path) -> None:
    path = make(tmp_path, {28: 'process = "express"'})
    fails(path, 28, "XK-0002", "办理流程 express 不存在")
    assert load_catalogue(path).item("XK-0002").process == "express"  # no process list given


# -- materials ----------------------------------------------------------------------

def test_materials_not_empty(tmp_path: Path) -> None:
    fails(make(tmp_path, {29: "materials = []", 30: None, 31: None}), 29, "XK-0002",
          "申请材料（materials）不能为空")


def test_material_codes_unique_within_item(tmp_path: Path) -> None:
    fails(make(tmp_path, {17: '  { code = "M01", name = "营业执照", main = false },'}), 17, "XK-0001",
          "申请材料编码 M01 重复")


def test_material_codes_may_repeat_across_items(tmp_path: Path) -> None:
    catalogue = load_catalogue(make(tmp_path))
    assert catalogue.item("XK-0001").material("M01") != catalogue.item("XK-0002").material("M01")


def test_at_least_one_main_material(tmp_path: Path) -> None:
    fails(make(tmp_path, {30: '  { code = "M01", name = "补办申请书", main = false },'}), 29, "XK-0002",
          "至少要有一项主要材料")


@pytest.mark.parametrize(("text", "fragment"), [
    ('  { code = "M02", name = "营业执照", main = "否" },', "申请材料 M02 的是否主要材料（main）应为布尔值"),
    ('  { code = "M02", name = "营业执照" },', "申请材料 M02 缺少是否主要材料（main）"),
    ('  { code = "M02", nmae = "营业执照", main = false },', "申请材料 M02 有不认识的键 nmae"),
    ('  { code = "M 2", name = "营业执照", main = false },', "申请材料 M 2 的编码不合规范"),
    ('  { name = "营业执照", main = false },', "申请材料 第 2 项 缺少编码（code）"),
    ('  "营业执照",', "第 2 项申请材料应写成"),
])
def test_material_fields(tmp_path: Path, text: str, fragment: str) -> None:
    fails(make(tmp_path, {17: text}), 17, "XK-0001", fragment)


# -- reporting ----------------------------------------------------------------------

def test_all_problems_are_collected_in_line_order(tmp_path: Path) -> None:
    path = make(tmp_path, {9: 'kind = "急件"', 21: None, 26: "promised_limit = 3"})
    with pytest.raises(DataFileError) as caught:
        load_catalogue(path, PROCESSES)
    error = caught.value
    problems = error.details["problems"]
    assert [(p["line"], p["entry"]) for p in problems] == [
        (9, "XK-0001"), (20, "items[2]"), (26, "items[2]")]
    assert error.code == "catalogue_invalid" and error.kind == "invalid"
    assert (error.line, error.entry) == (9, "XK-0001")
    assert "3 处错误" in error.message
    assert str(error).startswith(f"{path}:9 [XK-0001]")


def test_items_written_inline_are_located_by_code(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(
        'departments = [{ code = "market", name = "市场监督管理局" }]\n'
        "items = [\n"
        '  { code = "XK-1", name = "甲", department = "market", kind = "承诺件", statutory_limit = 5,'
        ' promised_limit = 3, site_inspection = false, process = "standard_promised",'
        ' materials = [{ code = "M1", name = "申请书", main = true }] },\n'
        '  { code = "XK-2", name = "乙", department = "mkt", kind = "承诺件", statutory_limit = 5,'
        ' promised_limit = 3, site_inspection = false, process = "standard_promised",'
        ' materials = [{ code = "M1", name = "申请书", main = true }] },\n'
        "]\n", encoding="utf-8")
    fails(path, 4, "XK-2", "实施部门 mkt 未在")


# -- item profiles: inspection, parallel approval, gaps, commitment --------------------

def test_item_profiles_load_into_the_domain(tmp_path: Path) -> None:
    catalogue = load_catalogue(make(tmp_path, {
        1: '[[departments]]\ncode = "fire_rescue"\nname = "消防救援大队"\n\n[[departments]]',
        14: 'inspection = { risk_level = "高", technical = true, bureau_qualified = false, '
            'qualified_department = "fire_rescue", partners = ["fire_rescue"] }\n'
            'parallel = { departments = ["market", "fire_rescue"], mode = "按比例", ratio = 60 }\n'
            'gaps_until = "制证前"\ncommitment = { verification_limit = 20 }',
        17: '  { code = "M02", name = "营业执照", main = false, shared = "business_licence" },',
    }))
    item = catalogue.item("XK-0001")
    assert item.inspection.risk_level == "high" and item.inspection.partners == ("fire_rescue",)
    assert item.inspection.qualified_department == "fire_rescue"
    assert item.parallel.departments == ("market", "fire_rescue") and item.parallel.ratio == 60
    assert item.parallel.mode.value == "ratio"
    assert item.gaps_until.value == "certificate" and item.commitment.verification_limit == 20
    assert item.material("M02").shared == "business_licence"
    assert catalogue.inspection_department == "market" and catalogue.bureau_name == "县行政审批服务局"
    # an item needing inspection without a profile gets the default one (low risk, independent)
    assert load_catalogue(make(tmp_path)).item("XK-0001").inspection.risk_level == "low"


@pytest.mark.parametrize("line14,message", [
    ('inspection = { risk_level = "很高" }', "风险等级 '很高' 无效"),
    ('inspection = { technical = true, bureau_qualified = false }', "须指定受委托部门"),
    ('inspection = { partners = ["nowhere"] }', "部门 nowhere 未在 [[departments]] 中定义"),
    ('inspection = { partners = ["market"] }', "不应包含实施部门自身"),
    ('inspection = { risk = "高" }', "不认识的键 risk"),
    ('inspection = "高"', "应为内联表"),
    ('parallel = { departments = ["market"], mode = "会签" }', "至少要有两个并联审查部门"),
    ('parallel = { departments = ["market", "market"], mode = "会签" }', "重复的部门"),
    ('parallel = { departments = ["market", "x"], mode = "会签" }', "部门 x 未在"),
    ('gaps_until = "受理前"', "只能是“决定前”或“制证前”"),
    ('commitment = { verification_limit = 0 }', "1 至 365 个工作日"),
])
def test_item_profile_mistakes_name_the_line_and_item(tmp_path: Path, line14: str, message: str) -> None:
    fails(make(tmp_path, {14: line14}), 14, "XK-0001", message)


def test_parallel_mode_rules(tmp_path: Path) -> None:
    two = '[[departments]]\ncode = "health"\nname = "卫生健康局"\n\n[[departments]]'
    for line14, message in [
        ('parallel = { departments = ["market", "health"], mode = "全签" }', "方式 '全签' 无效"),
        ('parallel = { departments = ["market", "health"], mode = "按比例" }', "须填写 ratio"),
        ('parallel = { departments = ["market", "health"], mode = "会签", ratio = 50 }', "只有“按比例”方式才填写 ratio"),
    ]:
        fails(make(tmp_path, {1: two, 14: line14}), 18, "XK-0001", message)


def test_inspection_profile_needs_an_inspection_and_the_bureau_its_survey_section(tmp_path: Path) -> None:
    fails(make(tmp_path, {27: 'site_inspection = false\ninspection = { risk_level = "低" }'}), 28, "XK-0002",
          "不应填写 inspection")
    fails(make(tmp_path, {35: None}), 33, None, "须在 [bureau] 中指定现场核查牵头股室")
    fails(make(tmp_path, {35: 'inspection_department = "nowhere"'}), 35, "bureau", "未在 [[departments]] 中定义")
    fails(make(tmp_path, {17: '  { code = "M02", name = "营业执照", main = false, shared = "Licence" },'}),
          17, "XK-0001", "共用材料标识（shared）须为小写英文标识")
