"""Writes that tell how many rows they changed: compare-and-set updates, bulk updates and deletes."""
from __future__ import annotations

from sqlalchemy import CursorResult, Delete, Update
from sqlalchemy.orm import Session


def rows_changed(session: Session, statement: Update | Delete) -> int:
    """Run ``statement`` in the session's transaction; the number of rows it matched.

    ``Session.execute`` answers an UPDATE or DELETE with a ``CursorResult`` (which has the row
    count), though its annotation only promises a ``Result``; anything else is a bug here.
    """
    result = session.execute(statement)
    if not isinstance(result, CursorResult):
        raise TypeError(f"an UPDATE or DELETE gave {type(result).__name__}, not a CursorResult")
    return result.rowcount
