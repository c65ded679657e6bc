"""The certificate templates (data/certificates.toml) are checked on load: every problem named
with its file, line and item."""
from __future__ import annotations

import pytest

from app.bureau_data.catalogue_file import load_catalogue
from app.bureau_data.certificates_file import load_templates, parse_templates
from app.config import Settings
from app.domain.errors import DataFileError


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(Settings().catalogue_file)


def test_the_shipped_templates_load_for_every_item_that_issues(catalogue):
    templates = load_templates(Settings().certificates_file, catalogue)
    food = templates.for_item("XK-0001")
    assert food is not None and food.type_name == "食品经营许可证" and food.validity_years == 5
    assert [f.source for f in food.fields][:1] == ["holder"]
    assert set(templates.templates) <= set(catalogue.items)


def _problems(text: str, catalogue) -> list[str]:
    with pytest.raises(DataFileError) as err:
        parse_templates(text, source="certificates.toml", catalogue=catalogue)
    return err.value.details["problems"]


def test_every_problem_is_named_with_file_line_and_item(catalogue):
    text = '''
[[certificates]]
item = "XK-9999"
type = "无此证"
fields = [{ label = "持证人", from = "holder" }]

[[certificates]]
item = "XK-0001"
type = "食品经营许可证"
validity_years = 0
fields = [{ label = "持证人", from = "holder" }]

[[certificates]]
item = "XK-0003"
type = "药品经营许可证"
colour = "red"
fields = [{ label = "持证人", from = "holder" }]

[[certificates]]
item = "XK-0004"
type = "小餐饮经营许可证"
fields = [{ label = "身份证", from = "applicant.password" }]

[[certificates]]
item = "YJS-0001"
type = "一件事证"
fields = [{ label = "持证人", from = "holder" }]
'''
    problems = _problems(text, catalogue)
    assert problems[0] == "certificates.toml:3 [XK-9999] 事项“XK-9999”不在事项目录中"
    assert problems[1].startswith("certificates.toml:10 [XK-0001] validity_years 应为 1 到 50")
    assert problems[2].startswith("certificates.toml:16 [XK-0003] 未知的键“colour”")
    assert problems[3].startswith("certificates.toml:22 [XK-0004] fields 第 1 个字段的取值来源“applicant.password”无效")
    assert "“一件事”按其所含事项各自颁发证照" in problems[4] and problems[4].startswith("certificates.toml:25")


def test_a_duplicate_and_a_syntax_error_are_named(catalogue):
    twice = '[[certificates]]\nitem = "XK-0001"\ntype = "甲"\nfields = [{ label = "a", from = "holder" }]\n' * 2
    assert _problems(twice, catalogue)[0].startswith("certificates.toml:6 [XK-0001] 事项“XK-0001”的证照模板重复定义")
    with pytest.raises(DataFileError) as err:
        parse_templates('[[certificates]]\nitem = XK-0001\n', source="certificates.toml", catalogue=catalogue)
    assert err.value.line == 2 and "第 2 行" in err.value.message
