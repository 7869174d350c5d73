"""schemathesis run from outside, as a user of the API would: every check
(`-c all`) against `itworks serve` on a fresh demo instance, once per token
and once without one (issue 15). The example count is bounded for CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testsupport import Server

EXAMPLES = "15"


def _itworks(instance: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
    env["ITWORKS_INSTANCE"] = str(instance)
    done = subprocess.run(
        [sys.executable, "-m", "itworks.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory):  # noqa: ANN001, ANN201
    instance = tmp_path_factory.mktemp("st") / "instance"
    _itworks(instance, "demo", "--no-serve", "--registrants", "40")
    tokens = {
        scope: _itworks(instance, "tokens", "create", f"fuzz-{scope}", "--scope", scope)
        .splitlines()[0]
        .strip()
        for scope in ("intake", "read")
    }
    with Server(instance, None) as server:
        yield server, tokens


@pytest.mark.parametrize("credential", ["intake", "read", "none"])
def test_schemathesis_cli_finds_nothing(served_demo, credential) -> None:  # noqa: ANN001
    server, tokens = served_demo
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert cli, "schemathesis is installed with the test extras"
    command = [cli, "run", f"{server.url}/api/v1/openapi.json", "-c", "all"]
    command += ["--max-examples", EXAMPLES, "--seed", "1", "--no-color"]
    # The server accepts phone numbers in more shapes than the documented pattern
    # (full-width digits, other separators): lenient by design, so the check that
    # every schema-violating request is refused is left to the in-process fuzzing.
    command += ["--exclude-checks", "negative_data_rejection"]
    if credential != "none":
        command += ["-H", f"Authorization: Bearer {tokens[credential]}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "generated" in done.stdout
    assert "Server error" not in done.stdout
