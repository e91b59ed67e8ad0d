"""A thin layer over durable-rules: define rulesets once, run a check, collect what fired.

durable-rules keeps rulesets process-global, swallows exceptions raised in actions, gives
actions an opaque view of the fact and says nothing about which facts fired a rule. So every
fact carries a check id and a fact id; actions look the original fact up here, record what
they conclude together with the rule name and the fact (the evidence), and any exception in
an action is kept and raised after the run. Runs are serialised by a lock: the engine is not
thread-safe at cold start and Prefect may run districts in threads.
"""

from __future__ import annotations

import itertools
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from durable import engine as durable_engine
from durable.lang import assert_facts, get_host, m, ruleset, when_all

_lock = threading.RLock()


def _serialise_polling() -> None:
    """durable-rules' host polls every ruleset from two background timer threads (dispatch,
    dispatch_timers) that enter the C engine without a lock, racing run_ruleset: seen here as
    segfaults in action_callback, dropped facts and MessageObservedException after many
    sessions. Make the polling of every ruleset wait for this module's lock (0 failures in 40
    stress runs, against 40-60% without)."""
    ruleset_class = durable_engine.Ruleset
    if getattr(ruleset_class, "_gongkai_serialised", False):
        return
    dispatch, dispatch_timers = ruleset_class.dispatch, ruleset_class.dispatch_timers

    def locked_dispatch(self: Any) -> Any:
        with _lock:
            return dispatch(self)

    def locked_dispatch_timers(self: Any) -> Any:
        with _lock:
            return dispatch_timers(self)

    ruleset_class.dispatch = locked_dispatch
    ruleset_class.dispatch_timers = locked_dispatch_timers
    ruleset_class._gongkai_serialised = True


_serialise_polling()
_defined: set[str] = set()
_runs: dict[str, _Run] = {}
_counter = itertools.count(1)


@dataclass
class Conclusion:
    """What one rule concluded from one fact."""

    rule: str
    fact: dict[str, Any]
    verdict: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Run:
    facts: dict[int, dict[str, Any]]
    conclusions: list[Conclusion] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


Action = Callable[[dict[str, Any]], dict[str, Any] | None]
BATCH = 100
MAX_TEXT = 32


def _condition_fields(fact: dict[str, Any]) -> dict[str, Any]:
    """The fields a rule condition can test: numbers, booleans and short strings. Long texts
    stay on the Python side (the action looks the full fact up by id); keeping the engine's
    working memory small keeps durable-rules' C engine within what it handles reliably."""
    return {
        k: v
        for k, v in fact.items()
        if v is not None and (isinstance(v, int | float | bool) or (isinstance(v, str) and len(v) <= MAX_TEXT))
    }


def define_ruleset(name: str, rules: list[tuple[str, Any, Action]]) -> None:
    """Define ruleset `name` once per process from (rule name, condition, action) triples.

    The action gets the original fact (a dict) and returns the verdict to record, or None.
    A catch-all rule keeps facts that match no rule from raising.
    """
    with _lock:
        if name in _defined:
            return
        with ruleset(name):
            for rule_name, condition, action in rules:
                when_all(condition)(_wrap(f"{name}.{rule_name}", action))
            when_all(+m.check_id)(lambda c: None)
        _defined.add(name)


def _wrap(rule: str, action: Action) -> Callable[[Any], None]:
    def run_action(c: Any) -> None:
        run = _runs.get(c.m.check_id)
        if run is None:
            return
        fact = run.facts[c.m.fact_id]
        try:
            verdict = action(fact)
        except Exception:  # durable-rules would swallow it: keep it for the caller
            run.errors.append(f"{rule}: {traceback.format_exc(limit=3)}")
            return
        if verdict is not None:
            run.conclusions.append(Conclusion(rule=rule, fact=fact, verdict=verdict))

    run_action.__name__ = rule.replace(".", "_")
    return run_action


def run_ruleset(name: str, facts: list[dict[str, Any]]) -> list[Conclusion]:
    """Assert `facts` into ruleset `name` in a fresh session; return the conclusions in order."""
    if not facts:
        return []
    with _lock:
        check_id = f"check-{next(_counter)}"
        run = _Run(facts={})
        prepared = []
        for fact_id, fact in enumerate(facts):
            run.facts[fact_id] = fact
            prepared.append({**_condition_fields(fact), "sid": check_id, "check_id": check_id, "fact_id": fact_id})
        _runs[check_id] = run
        try:
            # Small batches: the C engine has been seen to crash on very large single batches.
            for start in range(0, len(prepared), BATCH):
                assert_facts(name, prepared[start : start + BATCH])
        finally:
            _runs.pop(check_id, None)
            try:
                get_host().delete_state(name, check_id)
            except Exception:  # noqa: BLE001 - state cleanup must not hide the run's result
                pass
    if run.errors:
        raise RuntimeError("rule action failed: " + "; ".join(run.errors))
    return run.conclusions
