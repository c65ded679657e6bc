"""Registering an application at the window (一窗受理): one entry for every kind of case."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.domain.roles import Role
from app.persistence.models import Case
from app.services.actor import Actor
from app.services.intake.application import Application
from app.services.intake.items import register_item
from app.services.intake.projects import register_project
from app.services.runtime import Runtime


def register_case(session: Session, runtime: Runtime, actor: Actor, application: Application) -> Case:
    """Open the case the application asks for: a construction project, a bundle or an item."""
    actor.require(Role.WINDOW, Role.ADMIN)
    if application.item_code in runtime.catalogue.projects:
        return register_project(session, runtime, actor, application)
    return register_item(session, runtime, actor, application)
