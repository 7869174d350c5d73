"""`itworks handover export/import`: the whole dataset in one encrypted file, for
the next operator, loaded into a fresh instance with new keys.

The file holds every table (except login sessions, login throttling and key
check values, which belong to the old keys) as JSON, with every personal field
*decrypted*: the next instance encrypts them again under its own new data keys,
master key and blind-index key, so no key of the old instance opens the new one.
The JSON is compressed and sealed with AES-256-GCM under a key derived from a
passphrase with scrypt (``sealing.seal_handover``): one altered byte and the file
is refused. Inside, a manifest names the schema revision and, per table, the row
count and a SHA-256 of the rows; the import checks it before it writes anything
and again, inside its one transaction, against what it wrote.

The files kept in the instance folder travel too: the events' materials (成果物),
each with the SHA-256 its row records, checked when exported and when imported.
They are written into the new instance only once its transaction has committed.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import crypto
from itworks.i18n import N_
from itworks.models import Base, utcnow
from itworks.services import audit
from itworks.services.engagement import materials
from itworks.services.errors import ServiceError
from itworks.services.handover import sealing

FORMAT = "itworks-handover/1"
# Belong to the old keys or to live sessions: never handed over.
SKIPPED_TABLES = ("login_sessions", "login_failures", "key_checks", "rate_limit_counters")


@dataclass(frozen=True)
class Sealed:
    """An encrypted table: its columns, the data key that seals them and the row id
    the associated data names."""

    columns: tuple[str, ...]
    key: str  # "own" (the row's data_key_id) or "registrant" (the registrant's key)
    row: str  # "public_id" or "id"


# Every encrypted column of the schema. A LargeBinary column missing here makes
# the export refuse (see ``check_coverage``): it would be copied unreadable.
SEALED: dict[str, Sealed] = {
    "registrants": Sealed(("name", "name_kana", "email", "phone", "employer"), "own", "public_id"),
    "companies": Sealed(("contact_name", "contact_email", "contact_phone"), "own", "public_id"),
    "survey_responses": Sealed(("free_text",), "registrant", "public_id"),
    "consultations": Sealed(("notes", "outcome"), "registrant", "public_id"),
    "contact_logs": Sealed(("outcome", "notes"), "registrant", "id"),
    "registrant_field_history": Sealed(("old_value",), "registrant", "public_id"),
}
KEY_COLUMNS = {("data_keys", "wrapped"), ("key_checks", "check_value")}


class HandoverError(ServiceError):
    """The file or the target refuses the handover; nothing was written."""


def _tables() -> list[sa.Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def check_coverage() -> list[str]:
    """Binary columns no rule covers (should be empty)."""
    missing = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if (
                not isinstance(column.type, sa.LargeBinary)
                or (table.name, column.name) in KEY_COLUMNS
            ):
                continue
            sealed = SEALED.get(table.name)
            if sealed is None or column.name.removesuffix("_enc") not in sealed.columns:
                missing.append(f"{table.name}.{column.name}")
    return missing


# --------------------------------------------------------------------------- values


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _decoder(column: sa.Column) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl if isinstance(kind.impl, sa.types.TypeEngine) else kind.impl()
    if isinstance(kind, sa.DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(kind, sa.Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(kind, sa.LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


def _digest(rows: list[list[Any]]) -> str:
    body = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return crypto.file_digest(body.encode("utf-8"))


# --------------------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportResult:
    tables: int
    rows: int
    personal_values: int
    size: int
    manifest: dict[str, Any]
    files: int = 0


def _open_keys(session: Session, vault: crypto.Vault) -> dict[int, tuple[str, bytes | None]]:
    out: dict[int, tuple[str, bytes | None]] = {}
    for row in session.execute(sa.text("SELECT id, uid, kek_id, wrapped FROM data_keys")):
        key = None if row.wrapped is None else vault.unwrap(row.uid, row.kek_id, row.wrapped)
        out[row.id] = (row.uid, key)
    return out


def _files(session: Session, root: Path | None) -> dict[str, dict[str, str]]:
    """Every material file of the instance at ``root``, by its path relative to the
    instance: its SHA-256 and content (base64); refused if one is missing or damaged."""
    if root is None:
        return {}
    entries = materials.manifest(session)
    bad = materials.verify(root, entries)
    if bad:
        raise HandoverError(N_("資料ファイルがないか壊れています: %(paths)s", paths=", ".join(bad)))
    return {
        e["path"]: {
            "sha256": e["sha256"],
            "data": base64.b64encode((Path(root) / e["path"]).read_bytes()).decode("ascii"),
        }
        for e in entries
    }


def build_payload(
    session: Session, vault: crypto.Vault, revision: str | None, files_root: Path | None = None
) -> dict[str, Any]:
    missing = check_coverage()
    if missing:
        raise HandoverError(
            N_(
                "暗号化列の引き継ぎ規則がありません: %(columns)s（開発者に連絡してください）",
                columns=", ".join(missing),
            )
        )
    keys = _open_keys(session, vault)
    registrant_keys: dict[int, int | None] = dict(
        session.execute(sa.text("SELECT id, data_key_id FROM registrants")).all()
    )
    tables: dict[str, Any] = {}
    manifest: dict[str, Any] = {}
    personal = 0
    for table in _tables():
        sealed = SEALED.get(table.name)
        names = [c.name for c in table.columns]
        if table.name == "data_keys":
            names = [n for n in names if n not in ("uid", "wrapped", "kek_id")] + ["destroyed"]
        if table.name == "registrant_identifiers":
            names = [n for n in names if n != "digest"] + ["value"]
        rows = []
        dropped = 0
        plain_by_registrant: dict[int, dict[str, str]] = {}
        order = [table.c[c] for c in (pk.name for pk in table.primary_key.columns)]
        for row in session.execute(sa.select(table).order_by(*order)).mappings():
            values = dict(row)
            if table.name == "data_keys":
                values["destroyed"] = values.pop("wrapped") is None
                values.pop("uid"), values.pop("kek_id")
            if sealed is not None:
                owner = (
                    values.get("data_key_id")
                    if sealed.key == "own"
                    else registrant_keys.get(values["registrant_id"])
                )
                uid, key = keys.get(owner, (None, None)) if owner is not None else (None, None)
                for column in sealed.columns:
                    blob = values.get(f"{column}_enc")
                    plain = None
                    if blob is not None and key is not None:
                        plain = vault.decrypt(
                            key,
                            key_uid=cast(str, uid),  # a key found in keys has its uid
                            table=table.name,
                            column=column,
                            row=str(values[sealed.row]),
                            blob=blob,
                        )
                        personal += 1
                    # A ciphertext whose key was destroyed (erasure) is unreadable:
                    # it goes over as absent.
                    values[f"{column}_enc"] = plain
                if table.name == "registrants":
                    plain_by_registrant[values["id"]] = {
                        "email": values["email_enc"],
                        "phone": values["phone_enc"],
                    }
            if table.name == "registrant_identifiers":
                holder = tables["registrants"]["_plain"].get(values["registrant_id"], {})
                value = holder.get(values["kind"])
                if value is None or vault.blind_index(values["kind"], value) != values["digest"]:
                    dropped += 1  # an index of no value the person holds: nothing to carry
                    continue
                values.pop("digest")
                values["value"] = value
            rows.append([_encode(values[n]) for n in names])
        entry = {"columns": names, "rows": rows}
        if table.name == "registrants":
            entry["_plain"] = plain_by_registrant
        tables[table.name] = entry
        manifest[table.name] = {"rows": len(rows), "sha256": _digest(rows)}
        if dropped:
            manifest[table.name]["dropped_stale_indexes"] = dropped
    for entry in tables.values():
        entry.pop("_plain", None)
    return {
        "format": FORMAT,
        "revision": revision,
        "created_at": utcnow().isoformat(),
        "personal_values": personal,
        "manifest": manifest,
        "tables": tables,
        "files": _files(session, files_root),
    }


def export(
    session: Session,
    vault: crypto.Vault,
    passphrase: str,
    *,
    revision: str | None,
    files_root: Path | None = None,
    actor_label: str = "cli",
) -> tuple[bytes, ExportResult]:
    """The sealed handover file's bytes (the caller writes them) and a summary; with
    ``files_root`` (the instance folder), the material files go in it too."""
    payload = build_payload(session, vault, revision, files_root)
    body = gzip.compress(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6
    )
    blob = sealing.seal_handover(passphrase, body)
    manifest = payload["manifest"]
    result = ExportResult(
        tables=len(manifest),
        rows=sum(m["rows"] for m in manifest.values()),
        personal_values=payload["personal_values"],
        size=len(blob),
        manifest=manifest,
        files=len(payload["files"]),
    )
    audit.record(
        session,
        "handover.export",
        actor_label=actor_label,
        entity_type="dataset",
        rows=result.rows,
        sha256=crypto.file_digest(blob),
    )
    session.commit()
    return blob, result


# --------------------------------------------------------------------------- import


def read(passphrase: str, blob: bytes) -> dict[str, Any]:
    """Open and check a handover file; raise HandoverError naming what is wrong."""
    try:
        body = sealing.open_handover(passphrase, blob)
    except sealing.HandoverFileError:
        raise HandoverError(
            N_("引き継ぎファイルを開けません: パスフレーズが違うか、ファイルが改変されています")
        ) from None
    try:
        payload = json.loads(gzip.decompress(body))
    except (OSError, ValueError):
        raise HandoverError(N_("引き継ぎファイルの中身が壊れています")) from None
    if payload.get("format") != FORMAT:
        raise HandoverError(N_("引き継ぎファイルの形式が違います"))
    manifest, tables = payload.get("manifest") or {}, payload.get("tables") or {}
    problems = sorted(set(manifest) ^ set(tables))
    for name in sorted(set(manifest) & set(tables)):
        rows = tables[name].get("rows", [])
        if manifest[name].get("rows") != len(rows) or manifest[name].get("sha256") != _digest(rows):
            problems.append(name)
    files = payload.get("files") or {}
    for path, entry in sorted(files.items()):
        try:
            data = base64.b64decode(entry["data"], validate=True)
        except (KeyError, TypeError, ValueError):
            data = None
        if data is None or hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            problems.append(path)
    if problems:
        raise HandoverError(
            N_("マニフェストと中身が一致しません: %(tables)s", tables=", ".join(problems))
        )
    return payload


@dataclass(frozen=True)
class ImportResult:
    tables: int
    rows: int
    personal_values: int
    files: int = 0


def _safe_material_path(path: str) -> bool:
    """materials/<event id>/<stored name>: no folder climbing, nothing absolute."""
    parts = path.split("/")
    return (
        len(parts) == 3
        and parts[0] == materials.FOLDER
        and all(p and p not in (".", "..") and "\\" not in p for p in parts)
    )


def _stage_files(payload: dict[str, Any], root: Path | None) -> Path | None:
    """Write the payload's files into a staging folder beside where they belong;
    every path must be one the material rows name (nothing outside the instance)."""
    files = payload.get("files") or {}
    if root is None:
        return None
    rows = payload["tables"].get("event_materials", {})
    events = payload["tables"].get("events", {})
    event_ids = {
        row[events["columns"].index("id")]: row[events["columns"].index("public_id")]
        for row in events.get("rows", [])
    }
    named = set()
    for row in rows.get("rows", []):
        values = dict(zip(rows["columns"], row, strict=True))
        named.add(f"{materials.FOLDER}/{event_ids.get(values['event_id'])}/{values['stored_name']}")
    unsafe = [p for p in named if not _safe_material_path(p)]
    if set(files) != named or unsafe:
        raise HandoverError(
            N_(
                "資料ファイルと資料の記録が一致しません: %(paths)s",
                paths=", ".join(sorted((set(files) ^ named) | set(unsafe))),
            )
        )
    if not files:
        return None
    staging = Path(root) / f".{materials.FOLDER}.partial-{secrets.token_hex(4)}"
    for path, entry in files.items():
        target = staging / Path(path).relative_to(materials.FOLDER)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.write_bytes(base64.b64decode(entry["data"]))
    return staging


def _place_files(staging: Path | None, root: Path | None) -> None:
    if staging is None or root is None:
        return
    target = Path(root) / materials.FOLDER
    if target.exists() and not any(target.iterdir()):
        target.rmdir()
    staging.rename(target)


# An instance holding any of these is in use; other rows (a counter a migration
# seeds) are replaced by the file's.
IN_USE_TABLES = ("users", "registrants", "data_keys", "audit_events", "companies", "events")


def _is_empty(session: Session) -> list[str]:
    busy = []
    for name in IN_USE_TABLES:
        table = Base.metadata.tables[name]
        if session.scalar(sa.select(sa.func.count()).select_from(table)):
            busy.append(name)
    return busy


def load(
    session: Session,
    vault: crypto.Vault,
    payload: dict[str, Any],
    *,
    revision: str | None,
    files_root: Path | None = None,
    actor_label: str = "cli",
) -> ImportResult:
    """Write the dataset into this (empty, migrated) instance under its own keys,
    in one transaction: on any error nothing stays. The material files go into
    ``files_root`` (the instance folder) once the transaction has committed."""
    if payload.get("revision") != revision:
        raise HandoverError(
            N_(
                "スキーマの版が違います（ファイル %(file)s、このインスタンス %(here)s）。"
                "同じ版のソフトウェアで取り込んでください",
                file=str(payload.get("revision")),
                here=str(revision),
            )
        )
    busy = _is_empty(session)
    held = None if files_root is None else Path(files_root) / materials.FOLDER
    if held is not None and held.is_dir() and any(held.iterdir()):
        busy.append(f"{materials.FOLDER}/")
    if busy:
        raise HandoverError(
            N_(
                "空のインスタンスにだけ取り込めます（データあり: %(tables)s）",
                tables=", ".join(busy),
            )
        )
    tables = payload["tables"]
    expected = {t.name for t in _tables()}
    if set(tables) != expected:
        raise HandoverError(
            N_(
                "テーブル構成が違います: %(tables)s",
                tables=", ".join(sorted(set(tables) ^ expected)),
            )
        )
    personal = 0
    staging = _stage_files(payload, files_root)
    try:
        for table in reversed(_tables()):
            session.execute(table.delete())
        new_keys: dict[int, tuple[str, bytes | None]] = {}
        registrant_keys: dict[int, int] = {}
        self_refs: list[tuple[sa.Table, list[str], list[dict[str, Any]]]] = []
        for table in _tables():
            entry = tables[table.name]
            names = entry["columns"]
            rows = [dict(zip(names, row, strict=True)) for row in entry["rows"]]
            if table.name == "data_keys":
                wanted = {c.name for c in table.columns} - {"uid", "wrapped", "kek_id"}
                if set(names) != wanted | {"destroyed"}:
                    raise HandoverError(N_("data_keys の列が違います"))
                for values in rows:
                    if values.pop("destroyed"):
                        uid, wrapped, key = secrets.token_hex(16), None, None
                        kek = vault.active_kek_id
                    else:
                        fresh = vault.new_data_key()
                        uid, wrapped, key, kek = fresh.uid, fresh.wrapped, fresh.key, fresh.kek_id
                    values.update(uid=uid, wrapped=wrapped, kek_id=kek)
                    new_keys[values["id"]] = (uid, key)
            elif table.name == "registrant_identifiers":
                if set(names) != ({c.name for c in table.columns} - {"digest"}) | {"value"}:
                    raise HandoverError(N_("registrant_identifiers の列が違います"))
                for values in rows:
                    values["digest"] = vault.blind_index(values["kind"], values.pop("value"))
            elif set(names) != {c.name for c in table.columns}:
                raise HandoverError(N_("%(table)s の列が違います", table=table.name))
            decoders = {c.name: _decoder(c) for c in table.columns}
            for values in rows:
                for name, decode in decoders.items():
                    if name in ("uid", "wrapped", "kek_id", "digest") and table.name in (
                        "data_keys",
                        "registrant_identifiers",
                    ):
                        continue
                    if table.name in SEALED and name.endswith("_enc"):
                        continue
                    values[name] = decode(values[name])
            sealed = SEALED.get(table.name)
            if table.name == "registrants":
                registrant_keys = {v["id"]: v["data_key_id"] for v in rows}
            if sealed is not None:
                for values in rows:
                    owner = (
                        values.get("data_key_id")
                        if sealed.key == "own"
                        else registrant_keys.get(values["registrant_id"])
                    )
                    owner_uid, key = (
                        new_keys.get(owner, (None, None)) if owner is not None else (None, None)
                    )
                    for column in sealed.columns:
                        plain = values[f"{column}_enc"]
                        if plain is not None and key is None:
                            raise HandoverError(
                                N_("%(table)s の暗号鍵がありません", table=table.name)
                            )
                        values[f"{column}_enc"] = (
                            None
                            if plain is None
                            else vault.encrypt(
                                cast(bytes, key),  # not None: checked just above
                                key_uid=cast(str, owner_uid),  # a key found has its uid
                                table=table.name,
                                column=column,
                                row=str(values[sealed.row]),
                                value=plain,
                            )
                        )
                        personal += plain is not None
            # Rows that point at rows of their own table (a merged duplicate) get
            # the pointer after every row is in.
            refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
            if refs and rows:
                # Columns with an on-update default (updated_at) keep their value.
                refs = refs + [c.name for c in table.columns if c.onupdate is not None]
                later = [{"b_id": v["id"], **{f"b_{r}": v[r] for r in refs}} for v in rows]
                for values in rows:
                    for ref in refs:
                        if table.c[ref].onupdate is None:
                            values[ref] = None
                self_refs.append((table, refs, later))
            if rows:
                try:
                    session.execute(table.insert(), rows)
                except sa.exc.SQLAlchemyError:
                    # The driver's message quotes the rows: personal values. Name the table.
                    raise HandoverError(
                        N_("%(table)s の行を書き込めませんでした", table=table.name)
                    ) from None
        for table, refs, later in self_refs:
            session.execute(
                table.update()
                .where(table.c.id == sa.bindparam("b_id"))
                .values({r: sa.bindparam(f"b_{r}") for r in refs}),
                later,
            )
        for table in _tables():
            count = session.scalar(sa.select(sa.func.count()).select_from(table))
            if count != payload["manifest"][table.name]["rows"]:
                raise HandoverError(
                    N_("取り込んだ行数がマニフェストと違います: %(table)s", table=table.name)
                )
        if session.get_bind().dialect.name == "postgresql":
            _reset_sequences(session)
        session.flush()
        audit.record(
            session,
            "handover.import",
            actor_label=actor_label,
            entity_type="dataset",
            rows=sum(m["rows"] for m in payload["manifest"].values()),
            files=len(payload.get("files") or {}),
            source_created_at=payload.get("created_at"),
        )
        session.commit()
    except BaseException:
        session.rollback()
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    _place_files(staging, files_root)
    return ImportResult(
        tables=len(tables),
        rows=sum(m["rows"] for m in payload["manifest"].values()),
        personal_values=personal,
        files=len(payload.get("files") or {}),
    )


def _reset_sequences(session: Session) -> None:
    for table in _tables():
        if "id" not in table.c or not isinstance(table.c.id.type, sa.Integer):
            continue
        if not table.c.id.primary_key:
            continue
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # nosec B608: names from our own schema, values bound
                f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
            )
        )
