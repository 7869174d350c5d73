"""`itworks handover export` → `import` on the demo data: every funnel figure, every
decrypted field and every history row identical in the new instance, under new
keys; a flipped byte or a wrong manifest is refused with nothing written."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from itworks import crypto
from itworks.services.handover import sealing

PASSPHRASE = "a long handover passphrase 2023"
AS_OF = "2022-11-20"
# Columns that must differ: they hold or name the keys, which are new.
KEYED = {
    "data_keys": {"uid", "wrapped", "kek_id", "rotated_at"},
    "registrant_identifiers": {"digest"},
}
NOT_HANDED_OVER = {"login_sessions", "login_failures", "key_checks", "rate_limit_counters"}
# A cache generation counter: every write moves it, the import too.
NOT_COMPARED = NOT_HANDED_OVER | {"figure_generation"}
# The rule for every encrypted column, written out independently of the exporter:
# table → (columns, whose data key, the row id in the associated data).
ENCRYPTED = {
    "registrants": (("name", "name_kana", "email", "phone", "employer"), "own", "public_id"),
    "companies": (("contact_name", "contact_email", "contact_phone"), "own", "public_id"),
    "survey_responses": (("free_text",), "registrant", "public_id"),
    "consultations": (("notes", "outcome"), "registrant", "public_id"),
    "contact_logs": (("outcome", "notes"), "registrant", "id"),
    "registrant_field_history": (("old_value",), "registrant", "public_id"),
}


def _env(instance: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITWORKS_")}
    env.update(ITWORKS_INSTANCE=str(instance), ITWORKS_DATABASE_URL=url, ITWORKS_AS_OF_DATE=AS_OF)
    return env


def _cli(instance: Path, url: str, *args: str, stdin: str | None = None):  # noqa: ANN202
    return subprocess.run(
        [sys.executable, "-m", "itworks.cli", *args],
        env=_env(instance, url),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def target(tmp_path: Path, _template_database):  # noqa: ANN001, ANN201
    """An empty place for the new instance: a folder and an empty database."""
    folder = tmp_path / "next-operator"
    if isinstance(_template_database, Path):
        yield folder, f"sqlite:///{folder / 'itworks.db'}"
        return
    name = _template_database.create()
    yield folder, _template_database.url(name)
    _template_database.drop(name)


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory, _template_database):  # noqa: ANN001, ANN201
    """A demo instance with a read token, and its handover file."""
    folder = tmp_path_factory.mktemp("source") / "instance"
    if isinstance(_template_database, Path):
        url = f"sqlite:///{folder / 'itworks.db'}"
    else:
        name = _template_database.create()
        url = _template_database.url(name)
    done = _cli(folder, url, "demo", "--no-serve", "--registrants", "40")
    assert done.returncode == 0, done.stderr
    made = _cli(folder, url, "tokens", "create", "auditor", "--scope", "read")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    # A material (成果物) kept with the first event: its file travels with the data.
    event = _cli(folder, url, "events", "list").stdout.split("\t", 1)[0].strip()
    flyer = folder.parent / "flyer.pdf"
    flyer.write_bytes(b"%PDF-1.4\n" + os.urandom(2048))
    added = _cli(folder, url, "events", "material-add", event, str(flyer), "--kind", "flyer")
    assert added.returncode == 0, added.stderr
    handover_file = folder.parent / "handover.bin"
    rows, plain = _rows(url), _plain(url, folder / "keys")  # as exported
    done = _cli(folder, url, "handover", "export", str(handover_file), stdin=PASSPHRASE + "\n")
    assert done.returncode == 0, done.stderr
    yield folder, url, token, handover_file, rows, plain
    if not isinstance(_template_database, Path):
        _template_database.drop(name)


def _funnel(instance: Path, url: str, token: str) -> dict[str, bytes]:
    from itworks import create_app
    from itworks.db import db

    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": url, "AS_OF_DATE": AS_OF})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    out = {}
    for path in ("/api/v1/funnel", "/api/v1/funnel?fy=2021", "/api/v1/funnel/history"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        out[path] = response.data
    with app.app_context():
        db.engine.dispose()
    return out


def _rows(url: str) -> dict[str, list[dict]]:
    from itworks.models import Base

    engine = sa.create_engine(url)
    out = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_COMPARED:
                continue
            skip = KEYED.get(table.name, set()) | {
                c.name for c in table.columns if c.name.endswith("_enc")
            }
            order = list(table.primary_key.columns)
            out[table.name] = [
                {k: v for k, v in row.items() if k not in skip}
                for row in connection.execute(sa.select(table).order_by(*order)).mappings()
            ]
    engine.dispose()
    return out


def _plain(url: str, keys_dir: Path) -> dict[tuple[str, object, str], str | None]:
    vault = crypto.load_vault(keys_dir, environ={})
    engine = sa.create_engine(url)
    values = {}
    with engine.connect() as connection:
        keys = {
            r.id: (r.uid, None if r.wrapped is None else vault.unwrap(r.uid, r.kek_id, r.wrapped))
            for r in connection.execute(sa.text("SELECT id, uid, kek_id, wrapped FROM data_keys"))
        }
        owners = dict(connection.execute(sa.text("SELECT id, data_key_id FROM registrants")).all())
        for table, (columns, whose, row_id) in ENCRYPTED.items():
            for row in connection.execute(sa.text(f"SELECT * FROM {table}")).mappings():  # noqa: S608
                owner = row["data_key_id"] if whose == "own" else owners[row["registrant_id"]]
                uid, key = keys.get(owner, (None, None))
                for column in columns:
                    blob = row[f"{column}_enc"]
                    values[(table, row[row_id], column)] = (
                        None
                        if blob is None or key is None
                        else vault.decrypt(
                            key, key_uid=uid, table=table, column=column, row=str(row[row_id]),
                            blob=bytes(blob),
                        )
                    )  # fmt: skip
    engine.dispose()
    return values


def test_every_encrypted_column_has_a_handover_rule() -> None:
    from itworks.services.handover import transfer

    assert transfer.check_coverage() == []
    assert {t: (s.columns, s.key, s.row) for t, s in transfer.SEALED.items()} == ENCRYPTED


def test_round_trip_is_identical_under_new_keys(demo_source, target) -> None:
    folder, url, token, handover_file, before_rows, before_plain = demo_source
    new_folder, new_url = target
    done = _cli(new_folder, new_url, "handover", "import", str(handover_file), stdin=PASSPHRASE)
    assert done.returncode == 0, done.stderr
    assert "manifest verified" in done.stdout
    after_rows = _rows(new_url)
    after_plain = _plain(new_url, new_folder / "keys")

    assert after_plain == before_plain
    assert sum(v is not None for v in after_plain.values()) > 100  # real data compared
    # The import adds one audit entry (and moves the chain head); the rest is identical.
    imported = after_rows["audit_events"].pop()
    assert imported["action"] == "handover.import"
    after_rows.pop("audit_chain_head"), before_rows.pop("audit_chain_head")
    assert after_rows == before_rows
    assert sum(len(rows) for rows in after_rows.values()) > 500
    assert _funnel(new_folder, new_url, token) == _funnel(folder, url, token)

    # New keys: none of the old instance's keys opens the new data keys.
    old_vault = crypto.load_vault(folder / "keys", environ={})
    engine = sa.create_engine(new_url)
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT uid, kek_id, wrapped FROM data_keys WHERE wrapped IS NOT NULL")
        ).first()
    engine.dispose()
    with pytest.raises(crypto.DecryptionError):
        old_vault.unwrap(row.uid, row.kek_id, row.wrapped)
    for name in ("master.key", "blind-index.key"):
        assert (new_folder / "keys" / name).read_text() != (folder / "keys" / name).read_text()
    verify = _cli(new_folder, new_url, "audit", "verify")
    assert verify.returncode == 0, verify.stdout

    # The material files: the same bytes at the same place, listed alike.
    def files(root: Path) -> dict[str, bytes]:
        base = root / "materials"
        return {str(p.relative_to(root)): p.read_bytes() for p in base.rglob("*") if p.is_file()}

    assert files(new_folder) == files(folder) and len(files(folder)) == 1
    listed = _cli(new_folder, new_url, "events", "materials", "--json")
    assert listed.stdout == _cli(folder, url, "events", "materials", "--json").stdout
    assert not list(new_folder.glob(".materials.partial-*"))


def _registrant_count(url: str) -> int:
    database = sa.engine.make_url(url).database
    if url.startswith("sqlite") and not Path(database).exists():
        return 0
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("registrants"):
            return 0
        with engine.connect() as connection:
            return connection.scalar(sa.text("SELECT count(*) FROM registrants"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("where", ["header", "middle", "end"])
def test_a_flipped_byte_is_refused_and_nothing_written(demo_source, target, where) -> None:
    _, _, _, handover_file, _, _ = demo_source
    new_folder, new_url = target
    data = bytearray(handover_file.read_bytes())
    position = {"header": 30, "middle": len(data) // 2, "end": len(data) - 1}[where]
    data[position] ^= 0x01
    tampered = handover_file.with_name(f"tampered-{where}.bin")
    tampered.write_bytes(bytes(data))
    done = _cli(new_folder, new_url, "handover", "import", str(tampered), stdin=PASSPHRASE)
    assert done.returncode == 1
    assert "改変" in done.stderr or "damaged" in done.stderr or "壊れて" in done.stderr
    assert _registrant_count(new_url) == 0
    assert not (new_folder / "keys").exists()  # refused before anything was created


def test_wrong_passphrase_is_refused(demo_source, target) -> None:
    _, _, _, handover_file, _, _ = demo_source
    new_folder, new_url = target
    done = _cli(new_folder, new_url, "handover", "import", str(handover_file), stdin="x" * 20)
    assert done.returncode == 1 and _registrant_count(new_url) == 0


def test_manifest_mismatch_is_refused(demo_source, target) -> None:
    """Even a file sealed with the right passphrase is refused when a table's rows do
    not match the manifest (a row dropped from the registrants)."""
    _, _, _, handover_file, _, _ = demo_source
    new_folder, new_url = target
    payload = json.loads(
        gzip.decompress(sealing.open_handover(PASSPHRASE, handover_file.read_bytes()))
    )
    payload["tables"]["registrants"]["rows"].pop()
    forged = handover_file.with_name("forged.bin")
    forged.write_bytes(
        sealing.seal_handover(PASSPHRASE, gzip.compress(json.dumps(payload).encode()))
    )
    done = _cli(new_folder, new_url, "handover", "import", str(forged), stdin=PASSPHRASE)
    assert done.returncode == 1
    assert "registrants" in done.stderr
    assert _registrant_count(new_url) == 0


def test_a_failure_while_writing_leaves_nothing(demo_source, target) -> None:
    """A row that breaks a constraint midway (an event signup for no event) rolls
    the whole import back, and the message quotes no value."""
    _, _, _, handover_file, _, _ = demo_source
    new_folder, new_url = target
    payload = json.loads(
        gzip.decompress(sealing.open_handover(PASSPHRASE, handover_file.read_bytes()))
    )
    from itworks.services.handover import transfer

    entry = payload["tables"]["registrants"]
    entry["rows"].append(list(entry["rows"][0]))  # a duplicate id and public id
    payload["manifest"]["registrants"] = {
        "rows": len(entry["rows"]),
        "sha256": transfer._digest(entry["rows"]),
    }
    forged = handover_file.with_name("duplicate.bin")
    forged.write_bytes(
        sealing.seal_handover(PASSPHRASE, gzip.compress(json.dumps(payload).encode()))
    )
    done = _cli(new_folder, new_url, "handover", "import", str(forged), stdin=PASSPHRASE)
    assert done.returncode == 1, done.stdout
    assert "registrants" in done.stderr and "Traceback" not in done.stderr
    name_index = entry["columns"].index("name_enc")
    assert entry["rows"][0][name_index] not in done.stderr
    assert _registrant_count(new_url) == 0
    assert not (new_folder / "materials").exists()  # no file left behind either
    assert not list(new_folder.glob(".materials.partial-*"))


def test_a_changed_material_file_is_refused(demo_source, target) -> None:
    """A file whose bytes no longer match the SHA-256 its row records is refused,
    before anything is written."""
    import base64

    _, _, _, handover_file, _, _ = demo_source
    new_folder, new_url = target
    payload = json.loads(
        gzip.decompress(sealing.open_handover(PASSPHRASE, handover_file.read_bytes()))
    )
    (path, entry), *_ = payload["files"].items()
    entry["data"] = base64.b64encode(b"%PDF-1.4 something else").decode()
    forged = handover_file.with_name("changed-file.bin")
    forged.write_bytes(
        sealing.seal_handover(PASSPHRASE, gzip.compress(json.dumps(payload).encode()))
    )
    done = _cli(new_folder, new_url, "handover", "import", str(forged), stdin=PASSPHRASE)
    assert done.returncode == 1
    assert path in done.stderr
    assert _registrant_count(new_url) == 0
    assert not (new_folder / "materials").exists()


def test_import_refuses_an_instance_in_use(demo_source) -> None:
    folder, url, _, handover_file, _, _ = demo_source
    done = _cli(folder, url, "handover", "import", str(handover_file), stdin=PASSPHRASE)
    assert done.returncode == 1
    assert "users" in done.stderr


def test_export_needs_a_real_passphrase(demo_source, tmp_path: Path) -> None:
    folder, url, _, _, _, _ = demo_source
    done = _cli(folder, url, "handover", "export", str(tmp_path / "h.bin"), stdin="short\n")
    assert done.returncode == 1 and not (tmp_path / "h.bin").exists()
