"""The process's durable_rules host, and one engine session per decision.

What durable_rules 2.0.28 does on its own, and what this module does about it:

* ``Host()`` starts two timer threads that poll every ruleset for pending actions. A poller can
  take a session's action between the post and its dispatch, and the caller then sees no rule
  fire. Our rulesets have no timers and the posting thread runs every action, so the process
  host is a ``Host`` without pollers (``_QuietHost``), created once, before any decision.
* Rulesets are process-global and cannot be replaced, so each compiled file is registered under
  ``oneseal_<name>_<content hash>`` once; loading the same file again reuses it.
* The C engine holds at most 1,024 sessions; a session is opened per decision under a unique id
  and deleted afterwards, under a per-ruleset lock (so at most one is open per ruleset).
* Deleting a session in which no action ran frees uninitialised pointers and crashes the
  process. Every compiled ruleset therefore ends with a catch-all rule (``_no_match``) that
  fires when no real rule does, and a session that somehow ran no action is first "laundered"
  by posting a bare marker event, and is never deleted unless an action has run in it.
* An exception in an action is only written into the returned state; it is raised here.
"""
from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from durable import engine as durable

from app.domain.errors import DataFileError, OneSealError
from app.domain.design.rule_decision import FactValue
from app.rules_engine.compiler import compile_ruleset
from app.rules_engine.spec import SESSION_MARKER, RulesetSpec

log = logging.getLogger(__name__)

NO_MATCH = "_no_match"  # rule ids start with a letter, so this name cannot collide


class RuleEngineFailure(OneSealError):
    """The rules engine failed while deciding (an action raised, the engine refused).

    A server-side fault, not the client's: the web layer should answer 500. The engine's own
    text (which may hold a traceback) is logged, never put in ``details``.
    """

    kind = "internal"


class _QuietHost(durable.Host):
    """A durable_rules host without its polling threads (see the module docstring)."""

    def _run(self) -> None:
        return None


_registry_lock = threading.Lock()
_host: _QuietHost | None = None
_registered: dict[str, DurableRuleset] = {}
_session_ids = itertools.count(1)


def process_host() -> durable.Host:
    """The one durable_rules host of this process, created on first use."""
    global _host
    with _registry_lock:
        if _host is None:
            _host = _QuietHost()
        return _host


def register(spec: RulesetSpec) -> DurableRuleset:
    """Compile ``spec`` into the process host (once per file content) and return its handle."""
    name = f"oneseal_{spec.name}_{spec.content_hash[:16]}"
    host = process_host()
    with _registry_lock:
        if name in _registered:
            return _registered[name]
        ruleset = DurableRuleset(host, name, {r.id: rank for rank, r in enumerate(spec.rules)})
        definition = compile_ruleset(spec)
        for rule_id, rule in definition.items():
            rule["run"] = ruleset.action(rule_id)
        definition[NO_MATCH] = {"all": [{"m": {SESSION_MARKER: 1}}],
                                "pri": len(definition) + 1, "run": ruleset.action(NO_MATCH)}
        try:
            host.register_rulesets({name: definition})
        except Exception as exc:  # the C engine refused the compiled definition
            raise DataFileError("rules_compile_failed", f"规则集 {spec.name} 无法载入规则引擎：{exc}",
                                file=spec.file, entry=spec.name) from exc
        _registered[name] = ruleset
        return ruleset


class DurableRuleset:
    """One registered ruleset; ``first_match`` runs one session per call."""

    def __init__(self, host: durable.Host, name: str, rank: Mapping[str, int]) -> None:
        self.name = name
        self.open_sessions = 0
        self.leaked_sessions = 0
        self._host = host
        self._rank = dict(rank)
        self._fired: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def action(self, rule_id: str) -> Callable[[Any], None]:
        def run(c: Any) -> None:
            self._on_fire(rule_id, c.s.sid)
        return run

    def _on_fire(self, rule_id: str, sid: str) -> None:
        self._fired[sid].append(rule_id)

    def first_match(self, facts: Mapping[str, FactValue]) -> str | None:
        """Id of the first rule (by priority) matching ``facts``; None when none matches.

        ``facts`` must already be validated: the engine compares mismatched types loosely.
        """
        sid = f"s{next(_session_ids)}"
        event = {**facts, "sid": sid, SESSION_MARKER: 1}
        fired: list[str] = []
        acted = False
        with self._lock:
            self._fired[sid] = fired
            self.open_sessions += 1
            try:
                try:
                    state = self._host.post(self.name, event)
                except durable.MessageNotHandledException:
                    return None  # cannot happen with the catch-all rule; treated as no match
                except Exception as exc:
                    raise self._failure("rules_engine_failure", exc) from exc
                acted = state is not None  # the host returns the state only after an action ran
                if isinstance(state, dict) and state.get("exception"):
                    raise self._failure("rule_action_failed", state["exception"])
                return self._pick(fired)
            finally:
                self._close(sid, acted)

    def _pick(self, fired: list[str]) -> str | None:
        real = [rule_id for rule_id in fired if rule_id != NO_MATCH]
        if real:
            return min(real, key=self._rank.__getitem__)
        if not fired:
            raise self._failure("rules_engine_failure", "no action recorded")
        return None

    def _close(self, sid: str, acted: bool) -> None:
        """Delete the session; never raises (a leak is logged and counted)."""
        try:
            if not acted:
                self._host.post(self.name, {"sid": sid, SESSION_MARKER: 1})
            self._host.delete_state(self.name, sid)
            self.open_sessions -= 1
        except Exception:
            self.leaked_sessions += 1
            log.exception("durable_rules session %s of %s could not be closed", sid, self.name)
        finally:
            self._fired.pop(sid, None)

    def _failure(self, code: str, error: object) -> RuleEngineFailure:
        log.error("rules engine failure (%s) in %s: %s", code, self.name, str(error)[:2000])
        return RuleEngineFailure(code, f"规则引擎执行失败（{self.name}），请联系管理员",
                                 ruleset=self.name)
