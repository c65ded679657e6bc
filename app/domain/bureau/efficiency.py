"""The bureau's efficiency-supervision policy (效能监察): what counts as slipping."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SupervisionPolicy:
    #: a department whose on-time rate (percent) over the look-back falls below this is chased
    on_time_threshold: int = 90
    #: calendar days before today whose concluded cases give a department's on-time rate
    look_back_days: int = 30
    #: departments with fewer concluded cases than this in the look-back are not judged
    minimum_completed: int = 5
    #: open cases with at most this many working days left get a 效能督办 task
    due_within_days: int = 1
