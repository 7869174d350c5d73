"""Rotating the master key of 100,000 registrants is well under a minute (goal 20 s).

Run with ``ITWORKS_BENCH=1 pytest -q -s tests/keys/test_rotation_speed.py`` (skipped
otherwise; add ``ITWORKS_TEST_DATABASE_URL=…`` for PostgreSQL,
``ITWORKS_BENCH_REGISTRANTS=…`` to change the size).
"""

from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa
from keysupport import add_registrants

from itworks import crypto
from itworks.models import DataKey

pytestmark = pytest.mark.skipif(
    os.environ.get("ITWORKS_BENCH") != "1", reason="benchmark: set ITWORKS_BENCH=1"
)
SIZE = int(os.environ.get("ITWORKS_BENCH_REGISTRANTS", "100000"))


def test_rotate_100k_master_and_index_keys(instance, engine, vault, session) -> None:
    from itworks.services.keys import rotation

    add_registrants(engine, vault, SIZE)
    started = time.perf_counter()
    change = rotation.rotate(session, instance / "keys", environ={})
    rotate_seconds = time.perf_counter() - started
    assert change.rewrapped == SIZE
    assert session.scalar(sa.select(sa.func.count()).where(DataKey.kek_id != "k2")) == 0
    started = time.perf_counter()
    index = rotation.rotate_index(session, instance / "keys", environ={})
    index_seconds = time.perf_counter() - started
    assert index.moved == SIZE
    print(  # noqa: T201
        f"\n{engine.dialect.name}: {SIZE} registrants, master-key rotation "
        f"{rotate_seconds:.1f} s, blind-index rotation {index_seconds:.1f} s"
    )
    assert rotate_seconds < 60 and index_seconds < 60
    assert crypto.load_vault(instance / "keys").index_key_ids == ("b2",)
