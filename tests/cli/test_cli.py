"""The `itworks` command: init, users, targets, demo, keys, erase."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from testsupport import PASSWORD


def run_cli(instance: Path, *args: str, input: str | None = None, env: dict | None = None):  # noqa: A002, ANN201
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
    environ.update({"ITWORKS_INSTANCE": str(instance), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "itworks.cli", *args],
        input=input,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def test_init_creates_everything_and_prints_the_admin_password_once(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    first = run_cli(instance, "init")
    assert first.returncode == 0, first.stderr
    match = re.search(r"admin password \(shown once\): (\S+)", first.stdout)
    assert match
    for name in ("master.key", "blind-index.key", "session.key", "signing.key"):
        assert (instance / "keys" / name).stat().st_mode & 0o777 == 0o600
    assert (instance / "config.toml").exists()
    second = run_cli(instance, "init")
    assert second.returncode == 0 and "password" not in second.stdout
    listed = run_cli(instance, "users", "list")
    assert listed.stdout.split() == ["admin", "admin"]
    targets = run_cli(instance, "targets", "list", "--fy", "2022")
    assert "hires\tKGI\t30\t(former 20)" in targets.stdout
    assert "fair_signups\tKPI\t300\t(former 240)" in targets.stdout


def test_cli_refuses_without_keys_and_says_which(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "empty", "users", "list")
    assert result.returncode == 2
    assert "keys" in result.stderr and "Traceback" not in result.stderr


def test_users_create_reads_the_password_from_stdin(runner, client, auth) -> None:
    result = runner.invoke(
        ["users", "create", "hanako", "--role", "coordinator", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert auth.login("hanako", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("args", "password", "field"),
    [
        (["users", "create", "X", "--role", "coordinator"], PASSWORD, "username"),
        (["users", "create", "valid", "--role", "coordinator"], "short", "password"),
    ],
)
def test_users_create_rejects_bad_input_by_field(runner, args, password, field) -> None:
    result = runner.invoke([*args, "--password-stdin"], input=password + "\n")
    assert result.exit_code == 1
    assert f"{field}:" in result.output


def test_duplicate_user_is_refused(runner, make_user) -> None:
    make_user("taken", "coordinator")
    result = runner.invoke(
        ["users", "create", "taken", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 1 and "already exists" in result.output


def test_targets_can_be_edited(runner, session) -> None:
    from itworks.models import KpiHistory, KpiTarget

    assert (
        runner.invoke(
            ["targets", "set", "--fy", "2022", "--measure", "hires", "--target", "32"]
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(
            ["targets", "set-history", "--fy", "2018", "--field", "hires", "--value", "18"]
        ).exit_code
        == 0
    )
    bad = runner.invoke(["targets", "set", "--fy", "2022", "--measure", "likes", "--target", "1"])
    assert bad.exit_code == 1 and "measure:" in bad.output
    session.expire_all()
    target = session.scalar(sa.select(KpiTarget).where(KpiTarget.measure == "hires"))
    assert (target.target, target.former_target) == (32, 20)
    assert session.get(KpiHistory, 2018).hires == 18


def test_key_rotation_rewraps_every_data_key(
    runner, make_registrant, instance, app, session
) -> None:
    from itworks.models import DataKey

    public_id = make_registrant(name="回転 鍵子")
    result = runner.invoke(["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert set(session.scalars(sa.select(DataKey.kek_id)).all()) == {"k2"}
    assert runner.invoke(["keys", "retire"]).exit_code == 0
    assert (instance / "keys" / "master.key").read_text().startswith("k2:")
    from itworks import create_app
    from itworks.db import db
    from itworks.extensions import vault
    from itworks.services.intake import registrants

    fresh = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": app.config["DATABASE_URL"]})
    with fresh.app_context():
        row = registrants.get(db.session, public_id)
        name = registrants.decrypt_fields(vault(), row)[0]["name"]
        engine = db.engine
    engine.dispose()
    assert name == "回転 鍵子"


def test_erase_command(runner, make_registrant, session) -> None:
    from itworks.models import Registrant

    public_id = make_registrant()
    assert runner.invoke(["registrants", "erase", public_id, "--yes"]).exit_code == 0
    row = session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))
    assert row.erased_at is not None
    assert runner.invoke(["registrants", "erase", "missing", "--yes"]).exit_code == 1


def test_demo_loads_through_the_services_and_prints_logins(tmp_path: Path) -> None:
    instance = tmp_path / "demo"
    result = run_cli(instance, "demo", "--no-serve", "--registrants", "25")
    assert result.returncode == 0, result.stderr
    assert "demo registrants: 25" in result.stdout
    logins = re.findall(r"^\s+(\w+)\s+(demo-\w+)\s+(\S+)$", result.stdout, re.M)
    assert {role for role, _, _ in logins} == {"admin", "coordinator", "prefecture"}
    # One admin login only, the demo's; the instance's own admin is named, not printed.
    assert [line for line in result.stdout.splitlines() if line.split()[:1] == ["admin"]] == [
        next(line for line in result.stdout.splitlines() if "demo-admin" in line)
    ]
    assert "'admin' is not a demo login" in result.stdout
    again = run_cli(instance, "demo", "--no-serve", "--registrants", "25")
    assert "added now: 0" in again.stdout
    config_text = (instance / "config.toml").read_text(encoding="utf-8")
    assert config_text.count('AS_OF_DATE = "2022-11-20"') == 1
    engine = sa.create_engine(f"sqlite:///{instance / 'itworks.db'}")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT utm_source), min(registered_at) FROM registrants"
            )
        ).one()
        surveyed = connection.execute(
            sa.text(
                "SELECT count(DISTINCT registrant_id), count(DISTINCT channel)"
                " FROM survey_responses"
            )
        ).one()
        rounds = connection.execute(sa.text("SELECT arms FROM invitation_rounds")).scalars().all()
        latest = connection.execute(
            sa.text("SELECT max(submitted_at) FROM survey_responses")
        ).scalar()
    engine.dispose()
    assert rows[0] == 25 and rows[1] >= 3 and rows[2] >= "2022-03-31 15:00"
    assert surveyed[0] >= 10 and surveyed[1] == 2  # web (through the round) and interview
    assert [json.loads(arms) for arms in rounds] == [["none", "giftcard_500"]]
    assert latest < "2022-11-20 15:00"  # nothing after the demo's "today" (JST)


def test_demo_refuses_an_instance_with_real_data(runner, make_registrant) -> None:
    make_registrant()
    result = runner.invoke(["demo", "--no-serve"])
    assert result.exit_code == 1 and "real data" in result.output


def test_demo_serves_the_japanese_login_page_on_loopback(tmp_path: Path) -> None:
    import urllib.request

    from testsupport import Server

    instance = tmp_path / "demo"
    with Server(instance, None, "demo", "--port", "{port}", "--registrants", "20") as server:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url + "/login", timeout=10) as reply:
            page = reply.read().decode()
            cookie = reply.headers["Set-Cookie"]
    assert '<html lang="ja">' in page and "ログイン" in page and "パスワード" in page
    assert "HttpOnly" in cookie
    log = server.log.read_text(errors="replace")
    assert "gunicorn" in log.lower() and "demo-coordinator" in log
