"""``data/supervision.toml``: the bureau's efficiency-supervision policy (效能监察设置), validated on
load; every problem is reported at once with the file and line. No file: the defaults."""
from __future__ import annotations

import tomllib
from pathlib import Path

from app.bureau_data.toml_lines import TomlLines, read_text, syntax_error
from app.domain.errors import DataFileError
from app.domain.bureau.efficiency import SupervisionPolicy

WHAT = "效能监察设置文件"
#: key → (Chinese meaning, lowest, highest)
KEYS = {
    "on_time_threshold": ("按时办结率督办线（百分比）", 0, 100),
    "look_back_days": ("统计按时办结率的天数", 1, 366),
    "minimum_completed": ("参与评价的最少办结件数", 0, 1_000_000),
    "due_within_days": ("即将超期的剩余工作日", 0, 30),
}


def load_supervision(path: Path) -> SupervisionPolicy:
    if not Path(path).exists():
        return SupervisionPolicy()
    text = read_text(path, what=WHAT, code="supervision")
    file = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise syntax_error(exc, text, file, what=WHAT, code="supervision") from exc
    lines = TomlLines(text, (), {})
    problems = []
    for key in sorted(set(data) - set(KEYS) - {"version"}):
        problems.append(f"{file} 第 {lines.top_line(key) or 1} 行：未知的设置“{key}”")
    values: dict[str, int] = {}
    for key, (meaning, low, high) in KEYS.items():
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"{file} 第 {lines.top_line(key) or 1} 行：{key}（{meaning}）应为 {low} 至 {high} 之间的整数")
        else:
            values[key] = value
    if problems:
        raise DataFileError("supervision_invalid", f"{WHAT} {file} 有 {len(problems)} 处错误", file=file,
                            problems=problems)
    return SupervisionPolicy(**values)
