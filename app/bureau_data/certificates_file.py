"""Load the certificate templates (``data/certificates.toml``), checked against the catalogue.

Like the catalogue, every problem is collected and one :class:`DataFileError` lists them all
(``details["problems"]``: ``line``, ``entry``, ``message``); ``entry`` is the item code, or
``certificates[N]`` (from 1) when it is missing. No file: no item issues a certificate.
The format is described at the top of the shipped file.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from app.bureau_data.toml_lines import TomlLines, read_text, syntax_error
from app.domain.bureau.catalogue import Catalogue
from app.domain.licences.certificates import FIELD_SOURCES, CertificateTemplate, CertificateTemplates, TemplateField
from app.domain.errors import DataFileError

WHAT = "证照模板文件"
MAX_FIELDS = 12
MAX_LABEL = 20
MAX_TEXT = 200
_KEYS: dict[str, tuple[type, bool]] = {
    "item": (str, True), "type": (str, True), "title": (str, False), "validity_years": (int, False),
    "default_scope": (str, False), "note": (str, False), "fields": (list, True)}
_FIELD_KEYS: dict[str, tuple[type, bool]] = {"label": (str, True), "from": (str, True), "required": (bool, False)}
_TYPE_NAMES = {str: "字符串（加英文双引号）", int: "整数（不加引号）", bool: "布尔值 true 或 false",
               list: "数组 [ ... ]"}


def load_templates(path: Path, catalogue: Catalogue) -> CertificateTemplates:
    if not Path(path).is_file():
        return CertificateTemplates()
    text = read_text(path, what=WHAT, code="certificates")
    return parse_templates(text, source=str(path), catalogue=catalogue)


def parse_templates(text: str, *, source: str, catalogue: Catalogue) -> CertificateTemplates:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise syntax_error(exc, text, source, what=WHAT, code="certificates") from exc
    return _Loader(text, source, catalogue).load(data)


class _Loader:
    def __init__(self, text: str, file: str, catalogue: Catalogue) -> None:
        self.file, self.catalogue = file, catalogue
        self.problems: list[dict[str, Any]] = []
        self.entries: dict[str, list[Any]] = {}
        self.where = TomlLines(text, ("certificates",), self.entries)

    def problem(self, index: int | None, entry: str | None, message: str, key: str | None = None) -> None:
        line = self.where.line("certificates", index, key) if index is not None else self.where.top_line(key or "")
        self.problems.append({"line": line, "entry": entry, "message": message})

    def load(self, data: dict[str, Any]) -> CertificateTemplates:
        for key in sorted(set(data) - {"certificates"}):
            self.problem(None, None, f"未知的键“{key}”（只可有 [[certificates]]）", key)
        entries = data.get("certificates", [])
        if not isinstance(entries, list):
            self.problem(None, None, "certificates 应写作 [[certificates]] 段", "certificates")
            entries = []
        self.entries["certificates"] = entries
        templates: dict[str, CertificateTemplate] = {}
        for index, entry in enumerate(entries):
            template = self.template(index, entry)
            if template is None:
                continue
            if template.item_code in templates:
                self.problem(index, template.item_code, f"事项“{template.item_code}”的证照模板重复定义", "item")
                continue
            templates[template.item_code] = template
        if self.problems:
            first = self.problems[0]
            where = f"第 {first['line']} 行" if first["line"] else ""
            raise DataFileError("certificates_invalid",
                                f"{WHAT} {self.file} 有 {len(self.problems)} 处错误，{where}：{first['message']}",
                                file=self.file, line=first["line"], entry=first["entry"], problems=[
                                    f"{self.file}:{p['line']} [{p['entry'] or '—'}] {p['message']}"
                                    for p in self.problems])
        return CertificateTemplates(templates)

    def template(self, index: int, entry: Any) -> CertificateTemplate | None:
        name = f"certificates[{index + 1}]"
        if not isinstance(entry, dict):
            self.problem(index, name, "每个证照模板应为一段 [[certificates]]")
            return None
        code = entry.get("item") if isinstance(entry.get("item"), str) else None
        label = code or name
        ok = True
        for key in sorted(set(entry) - set(_KEYS)):
            self.problem(index, label, f"未知的键“{key}”，可用：{'、'.join(_KEYS)}", key)
            ok = False
        for key, (kind, required) in _KEYS.items():
            if key not in entry:
                if required:
                    self.problem(index, label, f"缺少 {key}", None)
                    ok = False
            elif not isinstance(entry[key], kind) or isinstance(entry[key], bool) != (kind is bool):
                self.problem(index, label, f"{key} 应为{_TYPE_NAMES[kind]}", key)
                ok = False
        if not ok or code is None:
            return None
        if code not in self.catalogue.items:
            hint = "（“一件事”按其所含事项各自颁发证照）" if code in self.catalogue.bundles else ""
            self.problem(index, code, f"事项“{code}”不在事项目录中{hint}", "item")
            return None
        for key in ("type", "title", "default_scope", "note"):
            value = entry.get(key)
            if isinstance(value, str) and (len(value) > MAX_TEXT or (key in ("type", "title") and not value.strip())):
                self.problem(index, code, f"{key} 不能为空且不超过 {MAX_TEXT} 字", key)
                ok = False
        years = entry.get("validity_years")
        if years is not None and not 1 <= years <= 50:
            self.problem(index, code, "validity_years 应为 1 到 50 之间的整数（长期有效则不填）", "validity_years")
            ok = False
        fields = self.fields(index, code, entry["fields"])
        if not ok or fields is None:
            return None
        return CertificateTemplate(
            item_code=code, type_name=entry["type"].strip(), title=(entry.get("title") or entry["type"]).strip(),
            validity_years=years, fields=fields, default_scope=entry.get("default_scope", ""),
            note=entry.get("note", ""), source=f"{self.file}:{self.where.line('certificates', index)}")

    def fields(self, index: int, code: str, raw: list[Any]) -> tuple[TemplateField, ...] | None:
        if not 1 <= len(raw) <= MAX_FIELDS:
            self.problem(index, code, f"fields 应有 1 到 {MAX_FIELDS} 个字段", "fields")
            return None
        result: list[TemplateField] = []
        for number, item in enumerate(raw, start=1):
            where = f"fields 第 {number} 个字段"
            if not isinstance(item, dict):
                self.problem(index, code, f"{where}应为 {{ label = \"…\", from = \"…\" }}", "fields")
                return None
            unknown = sorted(set(item) - set(_FIELD_KEYS))
            missing = [k for k, (_, required) in _FIELD_KEYS.items() if required and k not in item]
            if unknown or missing:
                text = "；".join([*(f"未知的键“{k}”" for k in unknown), *(f"缺少 {k}" for k in missing)])
                self.problem(index, code, f"{where}：{text}", "fields")
                return None
            label, source, required = item["label"], item["from"], item.get("required", False)
            if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
                self.problem(index, code, f"{where}的 label 应为不超过 {MAX_LABEL} 字的文字", "fields")
                return None
            if source not in FIELD_SOURCES:
                self.problem(index, code, f"{where}的取值来源“{source}”无效，应为：{'、'.join(FIELD_SOURCES)}",
                             "fields")
                return None
            if not isinstance(required, bool):
                self.problem(index, code, f"{where}的 required 应为 true 或 false", "fields")
                return None
            result.append(TemplateField(label.strip(), source, required))
        return tuple(result)
