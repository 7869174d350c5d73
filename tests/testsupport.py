"""Helpers shared by the test modules (import as `from testsupport import …`)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PASSWORD = "correct horse battery staple"

_CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def person(n: int = 1, **overrides) -> dict:
    """A registration body as the website posts it; ``...`` removes a field."""
    body = {
        "name": f"山田 太郎{n}",
        "name_kana": "ヤマダ タロウ",
        "email": f"taro{n}@example.jp",
        "phone": f"090-1234-{n:04d}",
        "residence_prefecture": "東京都",
        "birth_year": 1990,
        "origin": "u_turn",
        "consent": {"notice_version": "2022-04", "agreed": True},
        "utm": {"source": "google", "medium": "cpc", "campaign": "fy2022_search_ads"},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`itworks serve` (gunicorn) in a subprocess, the way an operator starts it."""

    def __init__(
        self, instance: Path, database_url: str | None, *args: str, workers: int = 2
    ) -> None:
        """Serve the instance; ``args`` replace `serve …` (``{port}`` is filled in)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
        env.update(ITWORKS_INSTANCE=str(instance), ITWORKS_DEVELOPMENT="true")
        if database_url:
            env["ITWORKS_DATABASE_URL"] = database_url
        instance.mkdir(parents=True, exist_ok=True)
        self.log = instance.parent / f"{instance.name}-server.log"
        self._log_handle = open(self.log, "wb")  # noqa: SIM115
        args = tuple(a.format(port=self.port) for a in args)
        command = (
            [sys.executable, "-m", "itworks.cli", *args]
            if args
            else [
                sys.executable,
                "-m",
                "itworks.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ]
        )
        self.process = subprocess.Popen(
            command, env=env, stdout=self._log_handle, stderr=subprocess.STDOUT
        )
        self._wait()

    def _wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_handle.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
