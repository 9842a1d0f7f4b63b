"""Run one command under GNU `/usr/bin/time -v` and report its peak RSS, wall time and output.

`time -v` reports the peak resident set of the whole process it waits for (for a launcher script
that forks java, the largest of the two), which is what an operator sizing a Lambda or a container
has to provide; a JVM's own heap figure leaves out metaspace, threads, code cache and native
buffers.

A command that outlives its timeout has its processes (not `time` itself) terminated, so that
`time` still writes its report and the peak reached so far is known.

Beside `time`, a sampler reads `/proc/<pid>/status` of every process under it ten times a second and
keeps the peaks of their summed `RssAnon` (the heap, stacks, native buffers: memory the process owns)
and `RssFile` (pages of mapped files, such as the HNSW index, which the kernel can write back and drop),
so that a figure can say which kind of memory a run holds. `time` also gives the CPU seconds (user +
system) the command used, which is what a billed vCPU-second is made of.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

GNU_TIME = "/usr/bin/time"
GRACE_SECONDS = 15


@dataclass
class Measured:
    command: list[str]
    exit_code: int | None
    wall_seconds: float
    peak_rss_mb: float | None
    timed_out: bool
    stdout: str
    stderr_tail: str
    cpu_seconds: float | None = None
    peak_anon_mb: float | None = None
    peak_file_mb: float | None = None


def run_measured(command: list[str], *, cwd: Path, env: dict | None = None,
                 timeout_seconds: float | None = None, log_path: Path | None = None) -> Measured:
    """Run command under `time -v`; its stderr is shown live and kept in log_path."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        process = subprocess.Popen(
            [GNU_TIME, "-v", "-o", report.name, *command],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )
        stdout_chunks: list[str] = []
        reader = threading.Thread(target=lambda: stdout_chunks.append(process.stdout.read()))
        reader.start()
        stderr_tail = tee_stderr(process, log_path)
        sampler = RssSampler(process.pid)
        sampler.start()
        timed_out = wait_or_stop(process, timeout_seconds)
        sampler.stop()
        reader.join()
        stderr_tail.join()
        wall = time.perf_counter() - started
        text = Path(report.name).read_text()
        peak_kb, signal_number = parse_time_report(text)
        cpu = parse_cpu_seconds(text)
    # `time` exits with its command's status; a command killed by a signal (the OOM killer, say)
    # is reported shell-style as 128 + signal.
    exit_code = 128 + signal_number if signal_number else process.returncode
    return Measured(
        command=command,
        exit_code=None if timed_out else exit_code,
        wall_seconds=wall,
        peak_rss_mb=None if peak_kb is None else peak_kb / 1024,
        timed_out=timed_out,
        stdout="".join(stdout_chunks),
        stderr_tail=stderr_tail.tail,
        cpu_seconds=cpu,
        peak_anon_mb=sampler.peak_anon_kb / 1024 if sampler.samples else None,
        peak_file_mb=sampler.peak_file_kb / 1024 if sampler.samples else None,
    )


class RssSampler(threading.Thread):
    """Peaks of RssAnon and RssFile summed over the processes below `root`, every 0.1 s."""

    def __init__(self, root: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_anon_kb = self.peak_file_kb = 0
        self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            anon = file = 0
            seen = False
            for pid in descendants(self.root):
                fields = read_status(pid)
                if fields:
                    seen = True
                    anon += fields.get("RssAnon", 0)
                    file += fields.get("RssFile", 0)
            if seen:
                self.samples += 1
                self.peak_anon_kb = max(self.peak_anon_kb, anon)
                self.peak_file_kb = max(self.peak_file_kb, file)
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def read_status(pid: int) -> dict[str, int]:
    """The kB fields of /proc/<pid>/status (RssAnon, RssFile, ...); empty once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+):\s+(\d+) kB", text, re.M)}


def parse_cpu_seconds(text: str) -> float | None:
    """User + system CPU seconds from `time -v` output."""
    user = re.search(r"User time \(seconds\): ([\d.]+)", text)
    system = re.search(r"System time \(seconds\): ([\d.]+)", text)
    if not user or not system:
        return None
    return float(user.group(1)) + float(system.group(1))


class _StderrTee(threading.Thread):
    """Copies the child's stderr to ours line by line (progress) and keeps the last lines."""

    def __init__(self, stream, log_path: Path | None):
        super().__init__(daemon=True)
        self.stream, self.log_path, self.lines = stream, log_path, []

    def run(self) -> None:
        log = open(self.log_path, "w") if self.log_path else None
        try:
            for line in self.stream:
                sys.stderr.write(line)
                sys.stderr.flush()
                if log:
                    log.write(line)
                self.lines = (self.lines + [line])[-20:]
        finally:
            if log:
                log.close()

    @property
    def tail(self) -> str:
        return "".join(self.lines)


def tee_stderr(process: subprocess.Popen, log_path: Path | None) -> _StderrTee:
    tee = _StderrTee(process.stderr, log_path)
    tee.start()
    return tee


def wait_or_stop(process: subprocess.Popen, timeout_seconds: float | None) -> bool:
    """Wait for the process; past the timeout stop its children and return True."""
    try:
        process.wait(timeout=timeout_seconds)
        return False
    except subprocess.TimeoutExpired:
        pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in descendants(process.pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        try:
            process.wait(timeout=GRACE_SECONDS)
            return True
        except subprocess.TimeoutExpired:
            continue
    # `time` itself is stuck: give up on its report rather than hang the benchmark.
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return True


def descendants(pid: int) -> list[int]:
    """All processes below pid, children first, read from /proc."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                pending.append(child)
    return found


def parse_time_report(text: str) -> tuple[int | None, int | None]:
    """(peak RSS in kB, terminating signal) from `time -v` output; None where absent."""
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    killed = re.search(r"Command terminated by signal (\d+)", text)
    return (int(rss.group(1)) if rss else None, int(killed.group(1)) if killed else None)
