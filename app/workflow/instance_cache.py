"""Live workflows kept between steps, found again by the exact state they saved.

A case's next step usually runs in the process that ran its last one (always, with the
embedded SQLite deployment). Rebuilding the workflow from its JSON is then work already
done: the process still holds the object the JSON was written from. The cache keeps that
object under the key (definition, serializer version, saved JSON), and a restore whose
stored row holds exactly that JSON takes it instead of deserializing.

With the workflow go the ready tasks and completion already worked out for that state.

The key is the saved text itself, so a kept workflow is used only when the database holds
precisely what it saved: a step that rolled back, a step another process ran, an edited
row — each is a miss and an ordinary restore. An entry is taken out when used, so two
requests never share one object; the least recently kept are dropped beyond ``capacity``.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

#: (definition content key, serializer version, saved JSON)
CacheKey = tuple[str, str, str]


class InstanceCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = max(0, capacity)
        self._entries: OrderedDict[CacheKey, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, key: CacheKey) -> Any | None:
        """What was kept under ``key``, removed from the cache; None if nothing is kept."""
        if not self.capacity:
            return None
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is None:
                self.misses += 1
            else:
                self.hits += 1
            return entry

    def keep(self, key: CacheKey, entry: Any) -> None:
        if not self.capacity:
            return
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def discard(self, key: CacheKey) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
