"""Loopback ports and process trees (from /proc), for benchmarks and process tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, or None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def descendants(root: int) -> set[int]:
    """Every live process below `root`."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def tree(procs: list[subprocess.Popen[bytes]]) -> set[int]:
    """The processes and every live one below them (RQ's work horses, say)."""
    return {pid for proc in procs for pid in {proc.pid} | descendants(proc.pid)}


def _status_mb(pid: int, field: str) -> float | None:
    """A memory field of /proc/PID/status in MB, or None when gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident memory (VmHWM) in MB, or None when gone."""
    return _status_mb(pid, "VmHWM")


def rss_mb(pid: int) -> float:
    """The process's resident memory now (VmRSS) in MB, 0.0 when gone."""
    return _status_mb(pid, "VmRSS") or 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time of the process and its waited-for children (user + system), 0.0 when gone."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # After the name: state is field 0, so utime, stime, cutime, cstime are 11 to 14.
    ticks = sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def stop_all(procs: list[subprocess.Popen[bytes]], grace: float = 30.0) -> None:
    """SIGTERM each process group (each was started in a session of its own), then SIGKILL
    what is still there after `grace` seconds."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def start_sandbox(root: Path, *flags: str) -> tuple[subprocess.Popen[bytes], str]:
    """The stand-in as its own process on a free loopback port, once it answers."""
    import time
    import urllib.request

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port), *flags],
        cwd=root, stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{base}/_sandbox/stats", timeout=1):  # noqa: S310
                break
        except OSError:
            time.sleep(0.1)
    return proc, base


def start_workers(
    root: Path, env: dict[str, str], work: Path, count: int
) -> list[subprocess.Popen[bytes]]:
    """`count` `presave worker` processes, each logging to work/worker-N.log."""
    workers = []
    for n in range(count):
        with (work / f"worker-{n}.log").open("wb") as log:  # the child keeps its own copy
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "cli", "worker"], cwd=root, env=env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))  # fmt: skip
    print(f"worker logs: {work}/worker-*.log", flush=True)
    return workers
