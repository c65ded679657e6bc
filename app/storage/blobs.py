"""The blob store interface and the folder that implements it."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

#: keys are made by the server: lowercase hex (a UUID's), never a name someone sent
_KEY = re.compile(r"^[0-9a-f]{32}$")


class MissingBlob(LookupError):
    """The store holds nothing under the key."""


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


class FolderStore:
    """Files in a folder, two levels of fan-out (``ab/cd/abcd…``); written to a temporary file
    and renamed, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError("blob keys are 32 lowercase hex digits")
        return self.root / key[:2] / key[2:4] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise MissingBlob(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
