"""Master-key rotation: every data key re-wrapped, the old key kept until no data
key uses it, and a rotation killed midway (SIGKILL) resumed without loss."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from keysupport import add_registrants, decrypt_all

from itworks import crypto
from itworks.models import AuditEvent, DataKey, KeyCheck


def _kek_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(
            connection.execute(
                sa.select(DataKey.kek_id, sa.func.count()).group_by(DataKey.kek_id)
            ).all()
        )


def test_retire_refuses_a_key_still_in_use_and_names_it(runner, instance, engine, vault) -> None:
    add_registrants(engine, vault, 5)
    crypto.add_master_key(instance / "keys")  # a new key in the file, nothing re-wrapped yet
    result = runner.invoke(["keys", "retire", "k1"])
    assert result.exit_code == 1
    assert "k1: 5" in result.output
    assert crypto.master_key_ids(instance / "keys") == ["k2", "k1"]
    result = runner.invoke(["keys", "retire", "k2"])  # the active key
    assert result.exit_code == 1
    assert runner.invoke(["keys", "retire", "k9"]).exit_code == 1


def test_rotate_then_retire_old(runner, instance, engine, vault, session) -> None:
    values = add_registrants(engine, vault, 20)
    result = runner.invoke(["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert _kek_counts(engine) == {"k2": 20}
    # Old key still in the file until retired; everything readable with the new one alone.
    assert crypto.master_key_ids(instance / "keys") == ["k2", "k1"]
    result = runner.invoke(["keys", "retire", "k1"])
    assert result.exit_code == 0, result.output
    assert crypto.master_key_ids(instance / "keys") == ["k2"]
    assert decrypt_all(engine, crypto.load_vault(instance / "keys")) == values
    assert (
        session.scalar(
            sa.select(sa.func.count()).where(KeyCheck.purpose == "master", KeyCheck.key_id == "k1")
        )
        == 0
    )
    actions = session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.action.like("keys.%"))
        .order_by(AuditEvent.seq)
    ).all()
    assert actions == ["keys.rotate", "keys.rewrap", "keys.retire"]


def test_destroyed_keys_stay_destroyed(runner, engine, vault, session) -> None:
    add_registrants(engine, vault, 3)
    shredded = session.scalar(sa.select(DataKey).order_by(DataKey.id).limit(1))
    shredded.wrapped = None  # what erasure does to the key row
    session.commit()
    assert runner.invoke(["keys", "rotate"]).exit_code == 0
    session.refresh(shredded)
    assert shredded.wrapped is None and shredded.kek_id == "k1"
    assert runner.invoke(["keys", "retire", "k1"]).exit_code == 0


def _env(instance, database_url: str) -> dict[str, str]:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
    env.update(ITWORKS_INSTANCE=str(instance), ITWORKS_DATABASE_URL=database_url)
    return env


@pytest.mark.slow
def test_rotation_killed_midway_resumes_without_loss(
    runner, instance, engine, vault, database_url
) -> None:
    total = 30000
    values = add_registrants(engine, vault, total)
    process = subprocess.Popen(
        [sys.executable, "-m", "itworks.cli", "keys", "rotate", "--batch", "100"],
        env=_env(instance, database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    moved = 0
    while time.monotonic() < deadline and process.poll() is None:
        moved = _kek_counts(engine).get("k2", 0)
        if moved >= 1000:
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    process.stderr.close()
    counts = _kek_counts(engine)
    assert process.returncode == -signal.SIGKILL
    assert 0 < counts.get("k2", 0) < total, counts  # really killed partway
    assert sum(counts.values()) == total
    # Both keys still in the file: every field readable right now, mid-rotation.
    assert crypto.master_key_ids(instance / "keys") == ["k2", "k1"]
    assert decrypt_all(engine, crypto.load_vault(instance / "keys")) == values
    # A new start works, and refuses to retire the old key while it is used.
    assert runner.invoke(["keys", "retire", "k1"]).exit_code == 1
    result = runner.invoke(["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "finished the interrupted rotation to k2" in result.output
    assert _kek_counts(engine) == {"k2": total}
    assert runner.invoke(["keys", "retire", "k1"]).exit_code == 0
    assert decrypt_all(engine, crypto.load_vault(instance / "keys")) == values
