"""Stopping the servers and workers the integration tests start as subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

BIN = Path(sys.executable).parent


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


def start_prefect_server(port: int, env: dict[str, str], log: Path, cwd: Path,
                         timeout: float = 240) -> subprocess.Popen:
    """`prefect server start` on loopback, its output in `log`; returns once /health answers (a
    loaded 2-core CI machine can take minutes)."""
    url = f"http://127.0.0.1:{port}/api"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
            env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd,
        )
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"Prefect server did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)
