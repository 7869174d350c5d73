"""Load against a server on loopback only, bounded in time: wrk (Debian's package)
when it is installed, else a Python load generator with the same shape
(N keep-alive connections, each sending its next request as soon as the last
answer arrived)."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .instances import Instance

HOST = "127.0.0.1"  # loopback only: never any other address


@dataclass
class Load:
    tool: str
    requests: int
    seconds: float
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0  # connection errors and timeouts (non-2xx are in statuses)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def count(self, status: int) -> int:
        return self.statuses.get(status, 0)

    def bad(self, ok: tuple[int, ...] = (200,)) -> int:
        return self.errors + sum(n for s, n in self.statuses.items() if s not in ok)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """`itworks serve --workers 2` (gunicorn) on a free loopback port."""

    def __init__(self, instance: Instance, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = instance.path.parent / f"{instance.label}-server-{self.port}.log"
        self._interrupted = False
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "itworks.cli", "serve", "--host", HOST,
             "--port", str(self.port), "--workers", str(workers)],
            env=instance.env(), stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(self.url + "/api/v1/openapi.json", timeout=2):  # noqa: S310
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start in time")

    def interrupt(self) -> None:
        """Ask for gunicorn's quick shutdown (SIGINT; the load is over, nothing is in
        flight), without waiting: several servers then stop side by side."""
        if self.process.poll() is None and not self._interrupted:
            self.process.send_signal(signal.SIGINT)
            self._interrupted = True

    def stop(self) -> None:
        self.interrupt()
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m)")
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk(
    url: str, headers: dict[str, str], seconds: int, threads: int = 2, connections: int = 16
) -> Load:  # noqa: E501
    """wrk -t2 -c16 against one URL; non-2xx replies and socket errors are counted."""
    assert url.startswith(f"http://{HOST}:"), "loopback only"
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    total = _TOTAL.search(output)
    if total is None:
        raise RuntimeError(f"unexpected wrk output: {output}")
    requests = int(total.group(1))
    elapsed = float(total.group(2)) * _UNITS[total.group(3)]
    non2xx = int(m.group(1)) if (m := _NON2XX.search(output)) else 0
    errors = sum(int(g) for g in m.groups()) if (m := _SOCKET.search(output)) else 0
    statuses = Counter({200: requests - non2xx})
    if non2xx:
        statuses[0] = non2xx  # wrk does not say which status
    return Load("wrk", requests, elapsed, statuses, errors)


def python_load(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    seconds: float,
    clients: int,
    body: Callable[[int, int], bytes] | None = None,
) -> Load:
    """``clients`` threads, each with its own keep-alive connection, for ``seconds``."""
    deadline = time.monotonic() + seconds
    results: list[tuple[Counter, int]] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        statuses: Counter = Counter()
        errors = 0
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        start.wait()
        sent = 0
        while time.monotonic() < deadline:
            payload = body(number, sent) if body else None
            sent += 1
            try:
                connection.request(method, path, body=payload, headers=headers)
                reply = connection.getresponse()
                reply.read()
                statuses[reply.status] += 1
                if reply.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
        connection.close()
        with lock:
            results.append((statuses, errors))

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - began
    statuses: Counter = Counter()
    errors = 0
    for counts, failed in results:
        statuses.update(counts)
        errors += failed
    return Load("python", sum(statuses.values()) + errors, elapsed, statuses, errors)


def get_load(server: Server, path: str, headers: dict[str, str], seconds: int) -> Load:
    if have_wrk():
        return wrk(server.url + path, headers, seconds)
    return python_load(server.port, "GET", path, headers, seconds, clients=16)


def registration_body(tag: str) -> Callable[[int, int], bytes]:
    """A new person per request (unique email and phone), as the website posts them."""

    def body(client: int, n: int) -> bytes:
        return json.dumps(
            {
                "name": "負荷 太郎",
                "name_kana": "フカ タロウ",
                "email": f"load.{tag}.{client}.{n}@example.jp",
                "phone": f"080-{2000 + client:04d}-{n:04d}" if n < 10_000 else None,
                "residence_prefecture": "東京都",
                "birth_year": 1990,
                "origin": "u_turn",
                "consent": {"notice_version": "2022-04", "agreed": True},
                "utm": {"source": "google", "medium": "cpc", "campaign": "fy2022_search_ads"},
            }
        ).encode()

    return body


def write_log_tail(path: Path, lines: int = 20) -> str:
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])
