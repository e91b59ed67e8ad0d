"""A courier: a forked process that delivers what the alert run queues while the run goes on.

Building a digest (templates, MIME) and delivering one (SMTP, the ledger) are both Python work, so
in one process the GIL runs them one after the other. The alert run forks a courier before it
builds, nudges it after each batch it has queued in the outbox, and tells it when nothing more is
coming; the courier runs a delivery pass per nudge and a last one at the end, then hands back its
report. Everything goes through the outbox (the store), so the guarantees are the outbox's: a
courier that dies leaves its claimed messages 'sending', re-sent after the lease like any crash,
and a courier dies with the run that forked it (Linux: the parent-death signal).

This module only runs the process; what a pass does is `notifications.outbox`'s.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import AsyncIterator, Callable
from multiprocessing.connection import Connection
from typing import Any

PROCESSES_ENV = "GONGKAI_ALERT_PROCESSES"
_NUDGE, _DONE, _STOP = "nudge", "done", "stop"
_PR_SET_PDEATHSIG = 1


class CourierError(RuntimeError):
    """The courier process died or failed before handing back its report."""


def courier_wanted(env: dict[str, str] | None = None) -> bool:
    """Deliver in a courier process? Only where processes fork (not on Windows or macOS's default
    spawn), and not when $GONGKAI_ALERT_PROCESSES is 1 (one process does everything)."""
    value = (env if env is not None else os.environ).get(PROCESSES_ENV, "").strip()
    if value and value != "2":
        if value != "1":
            raise ValueError(f"{PROCESSES_ENV} 只能是 1 或 2（现为 {value!r}）")
        return False
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class Inbox:
    """The courier's end of the pipe."""

    def __init__(self, conn: Connection):
        self._conn = conn

    async def nudges(self) -> AsyncIterator[bool]:
        """Yields False after one or more nudges (coalesced: a pass sees all that was queued
        before it started), then True once when the run has queued everything. Ends early when
        the run says stop or goes away."""
        while True:
            try:
                first = await asyncio.to_thread(self._conn.recv)
                pending = [first]
                while self._conn.poll():
                    pending.append(self._conn.recv())
            except (EOFError, OSError):
                return  # the run is gone: stop, do not start a last pass for it
            if _STOP in pending:
                return
            if _DONE in pending:
                yield True
                return
            yield False


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies, so that a killed run does not leave
    a courier behind still sending (the run's crash is then the courier's too)."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return
    try:
        ctypes.CDLL(libc_name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return


def _courier_process(conn: Connection, parent_pid: int, main: Callable[..., Any], args: tuple[Any, ...]) -> None:
    _die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    try:
        result: tuple[str, Any] = ("ok", main(Inbox(conn), *args))
    except BaseException:  # noqa: BLE001 - handed to the run, which raises it
        result = ("error", traceback.format_exc())
    try:
        conn.send(result)
    except (BrokenPipeError, OSError):
        pass
    conn.close()


class Courier:
    """The run's handle on its courier: `nudge()` after queueing, `done()` at the end, then
    `report()`; `stop()` when the run fails. The courier runs `main(inbox, *args)`."""

    def __init__(self, main: Callable[..., Any], *args: Any):
        context = multiprocessing.get_context("fork")
        self._conn, child_end = context.Pipe()
        self._process = context.Process(target=_courier_process, args=(child_end, os.getpid(), main, args),
                                        name="gongkai-courier", daemon=True)
        self._process.start()
        child_end.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def nudge(self) -> None:
        """More is queued: the courier starts a pass when its current one ends."""
        self._send(_NUDGE)

    def done(self) -> None:
        """Everything is queued: the courier makes its last pass and ends."""
        self._send(_DONE)

    def report(self) -> Any:
        """Wait for the courier to end and return what its work returned. Raises CourierError
        when it died or failed."""
        return self._result()

    def stop(self) -> None:
        """The run failed: the courier ends after its current pass (what it claimed is delivered
        or left for the lease); its report is dropped."""
        self._send(_STOP)
        try:
            self._result()
        except CourierError:
            pass

    def _send(self, what: str) -> None:
        try:
            self._conn.send(what)
        except (BrokenPipeError, OSError):
            pass  # it has died: finish() says so

    def _result(self) -> Any:
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError):
            status, value = "died", None
        finally:
            self._conn.close()
            self._process.join(timeout=60)
        if status == "ok":
            return value
        if status == "died":
            raise CourierError(f"投递进程意外退出（退出码 {self._process.exitcode}）：已领取的邮件在租期过后重发")
        raise CourierError(f"投递进程出错：{value}")
