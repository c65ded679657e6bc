"""The bureau's performance figures (效能统计) and efficiency supervision (效能监察).

Owns: the daily roll-ups of the cases (``rollup``: computed from the cases, clock suspensions
and notices, again in the transaction of every change that moves a figure), the figures of a
period read from them (``figures``, with ``period`` checking what was asked and who may ask),
the cases behind each figure (``drilldown``), construction-project stages and reviewers
(``stages``, ``reviewers``), the exports (``export``: Excel, CSV, JSON) and the daily
supervision job that raises 督办 (``supervision``).

May import: the root modules and ``clock/`` (the working-day clock and deadlines).
"""
