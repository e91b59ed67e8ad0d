"""Stopping the servers and workers the integration tests start as subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess

import psutil


def stop(proc: subprocess.Popen | None, *, timeout: float = 15) -> None:
    """Stop a process we started (its process group: `prefect server start` runs the API in a
    child), and whatever it started that outlived it (flow runs start in sessions of their own).
    A Prefect worker ignores the first SIGTERM, hence the second."""
    if proc is None:
        return
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    if proc.poll() is None:
        for sig in (signal.SIGTERM, signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=timeout if sig != signal.SIGKILL else 5)
                break
            except subprocess.TimeoutExpired:
                continue
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
