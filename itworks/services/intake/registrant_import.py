"""The registrant import (the previous operator's list): rows are checked and
encrypted in batches (in worker processes for a large file), then written a batch
at a time with a savepoint per batch, so an interrupted import can simply be run
again. The row rules are those of every import (``imports``)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from itworks import csvio
from itworks.crypto import Vault
from itworks.database import BulkInsert, begin_write, reserve_ids
from itworks.i18n import N_, message_of
from itworks.models import (
    PERSONAL_FIELDS,
    DataKey,
    Registrant,
    RegistrantIdentifier,
    UtmTouch,
    utcnow,
)
from itworks.models.base import new_public_id
from itworks.services import audit
from itworks.services.errors import InvalidInput
from itworks.services.intake import arrivals as intake
from itworks.services.intake import registrants
from itworks.services.intake.imports import (
    EMAIL_HEADERS,
    ImportSummary,
    Progress,
    file_error,
)

REGISTRANT_COLUMNS = {
    "name": ("氏名", "名前", "お名前"),
    "name_kana": ("フリガナ", "ふりがな", "カナ", "氏名カナ", "氏名（カナ）", "kana"),
    "email": EMAIL_HEADERS,
    "phone": ("電話番号", "電話", "携帯電話", "携帯電話番号", "tel"),
    "employer": ("勤務先", "現在の勤務先", "会社名"),
    "residence_prefecture": ("都道府県", "居住地", "居住都道府県", "prefecture"),
    "birth_year": ("生年", "生まれ年", "生年（西暦）"),
    "origin": ("u/iターン", "uiターン", "区分"),
    "registered_at": ("登録日", "登録日時", "registered"),
    "utm_source": ("流入経路", "流入元", "source"),
    "utm_medium": ("medium",),
    "utm_campaign": ("キャンペーン", "campaign"),
    "utm_term": ("term",),
    "utm_content": ("content",),
    "referrer": ("参照元",),
}
ORIGIN_WORDS = {"uターン": "u_turn", "iターン": "i_turn", "不明": "unknown", "": "unknown"}
REQUIRED_COLUMNS = ("name", "email", "registered_at")


@dataclass
class _Row:
    line: int
    arrival: intake.Arrival
    registered_at: datetime


def _parse_registrant_row(line: int, values: dict[str, str], consent_version: str) -> _Row:
    errors: dict[str, str] = {}
    registered_at = None
    try:
        if "registered_at" not in values:
            raise ValueError(N_("登録日が必要です"))
        registered_at = csvio.parse_datetime(values["registered_at"])
    except ValueError as exc:
        errors["registered_at"] = message_of(exc)
    payload: dict[str, Any] = {
        k: v
        for k, v in values.items()
        if k in registrants.MAX_LENGTHS or k in ("phone", "residence_prefecture", "birth_year")
    }
    origin = values.get("origin", "")
    payload["origin"] = ORIGIN_WORDS.get(csvio.normalize_header(origin), origin)
    payload["utm"] = {k: values.get(f"utm_{k}") for k in registrants.UTM_KEYS}
    payload["referrer"] = values.get("referrer")
    try:
        arrival = intake.validate(
            payload, None, now=registered_at or None, consent_version=consent_version
        )
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors or registered_at is None:  # registered_at is None only with an error
        raise InvalidInput(errors)
    return _Row(line, arrival, registered_at)


BATCH_ROWS = 1000
PARALLEL_FROM_ROWS = 20_000
CONFLICT = N_("このメールアドレスか電話番号は統合済みの登録者の記録にあります")


def import_registrants(
    session: Session,
    vault: Vault,
    data: csvio.Source,
    *,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    consent_version: str = "previous-operator",
    actor_label: str = "cli",
    progress: Progress | None = None,
    workers: int | None = None,
) -> ImportSummary:
    """Import the previous operator's registrant list through the one intake's rules.

    ``data`` is the file's bytes, its path or a seekable binary file; it is read as
    a stream, a batch of ``BATCH_ROWS`` rows at a time, so a file of a million rows
    never sits in memory. Each batch is one transaction: its good rows are written
    with a few multi-row inserts and committed together, and only then counted as
    imported (and reported to ``progress``). An import killed halfway therefore
    leaves whole batches of whole registrants, and running it again completes it:
    rows already in are recognised by their blind indexes as duplicates and change
    nothing. A bad row is rejected with its line and fields and never holds back
    the good rows around it. Should a batch clash with a concurrent writer, the
    batch is rolled back to its savepoint and written again row by row.

    Validation and encryption run in ``workers`` processes (default: up to two, for
    files of ``PARALLEL_FROM_ROWS`` rows or more; 0: in this process).
    """
    summary = ImportSummary(dry_run=dry_run)
    try:
        columns, rows, summary.encoding = csvio.stream_rows(data, REGISTRANT_COLUMNS)
    except csvio.CsvFormatError as exc:
        return file_error(summary, message_of(exc))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    for column in missing:
        file_error(summary, N_("列がありません: %(column)s", column=column), field=column)
    if missing:
        rows.close()
        return summary

    encrypt = not dry_run
    if workers is None:
        workers = _auto_workers(data)
    prepared = _prepared_batches(rows, vault, consent_version, encrypt, workers)
    writer = _Writer(session, summary, actor_label=actor_label)
    done = 0
    try:
        if dry_run:
            seen: set[int] = set()
            for batch in prepared:
                _classify(session, batch, summary, seen)
                done += len(batch)
                if progress:
                    progress(done)
            session.rollback()
            return summary
        if all_or_nothing:
            begin_write(session)
        for batch in prepared:
            if not all_or_nothing:
                begin_write(session)
            imported, duplicates = writer.write(batch)
            if not all_or_nothing:
                writer.audit_created()
                session.commit()
            # Counted only once committed: nothing reported is lost by a later crash.
            summary.imported += imported
            summary.duplicates += duplicates
            done += len(batch)
            if progress:
                progress(done)
    except csvio.CsvFormatError as exc:
        session.rollback()
        file_error(summary, message_of(exc))
        if all_or_nothing:
            summary.imported = 0
            return summary
        return summary.finish(session, "import.registrants", actor_label)
    except BaseException:
        session.rollback()
        raise
    finally:
        prepared.close()
    if all_or_nothing:
        if summary.rejected:
            session.rollback()
            summary.imported = 0
            return summary
        writer.audit_created()
    return summary.finish(session, "import.registrants", actor_label)


def _auto_workers(data: csvio.Source) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cores or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if isinstance(data, bytes | bytearray):
        lines = data.count(b"\n")
    elif isinstance(data, str | os.PathLike):
        lines = csvio.count_lines(data)
    else:
        return 0
    return min(2, cores or 1) if lines >= PARALLEL_FROM_ROWS else 0


# A prepared row: (line, None, email digest, phone digest, registered_at, referrer, utm,
# prefecture, birth year, origin, consent version, consent digest, consent time,
# public id, key uid, kek id, wrapped key, sealed personal fields); a rejected one:
# (line, errors).
Prepared = tuple


def _prepare(
    vault: Vault, consent_version: str, encrypt: bool, chunk: list[tuple[int, dict[str, str]]]
) -> list[Prepared]:
    """Validate, normalise, blind-index and (``encrypt``) seal a chunk of rows. Pure
    computation on the rows and the keys, so it can run in another process."""
    out: list[Prepared] = []
    for line, values in chunk:
        try:
            row = _parse_registrant_row(line, values, consent_version)
        except InvalidInput as exc:
            out.append((line, exc.errors))
            continue
        arrival = row.arrival
        person = arrival.person
        email, phone = person.get("email"), person.get("phone")
        sealed: tuple = (None, None, None, None, None)
        if encrypt:
            key = vault.new_data_key()
            public_id = new_public_id()
            cipher = vault.cipher(key.key)
            blobs = tuple(
                vault.encrypt(
                    cipher,
                    key_uid=key.uid,
                    table=registrants.TABLE,
                    column=name,
                    row=public_id,
                    value=person.get(name),
                )
                for name in PERSONAL_FIELDS
            )
            sealed = (public_id, key.uid, key.kek_id, key.wrapped, blobs)
        consent = arrival.consent
        out.append(
            (
                line,
                None,
                vault.blind_index("email", email) if email else None,
                vault.blind_index("phone", phone) if phone else None,
                row.registered_at,
                arrival.referrer,
                tuple(arrival.utm.get(k) for k in registrants.UTM_KEYS),
                person.get("residence_prefecture"),
                person.get("birth_year"),
                person.get("origin") or "unknown",
                consent.notice_version,
                consent.notice_sha256,
                consent.agreed_at,
                *sealed,
            )
        )
    return out


# (vault, consent_version, encrypt), set by _init_worker in each worker process.
_worker_args: tuple[Vault, str, bool]


def _init_worker(vault: Vault, consent_version: str, encrypt: bool) -> None:
    global _worker_args
    _worker_args = (vault, consent_version, encrypt)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means


def _prepare_in_worker(chunk: list[tuple[int, dict[str, str]]]) -> list[Prepared]:
    return _prepare(*_worker_args, chunk)


def _chunks(rows: Iterator[tuple[int, dict[str, str]]]) -> Iterator[list]:
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == BATCH_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _prepared_batches(
    rows: Iterator[tuple[int, dict[str, str]]],
    vault: Vault,
    consent_version: str,
    encrypt: bool,
    workers: int,
) -> Generator[list[Prepared], None, None]:
    """The file's rows prepared a batch at a time, in file order; with ``workers``,
    in a pool of forked processes with at most two batches per worker in flight
    (so memory stays flat whatever the file's size)."""
    if workers <= 0:
        for chunk in _chunks(rows):
            yield _prepare(vault, consent_version, encrypt, chunk)
        return
    context = multiprocessing.get_context("fork")
    pool = context.Pool(workers, _init_worker, (vault, consent_version, encrypt))
    try:
        pending: deque = deque()
        for chunk in _chunks(rows):
            pending.append(pool.apply_async(_prepare_in_worker, (chunk,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _known(session: Session, kind: str, digests: list[str]) -> dict[str, int]:
    """digest → the live registrant it identifies, for one kind (one indexed query)."""
    if not digests:
        return {}
    rows = session.execute(
        sa.select(RegistrantIdentifier.digest, RegistrantIdentifier.registrant_id)
        .join(Registrant, Registrant.id == RegistrantIdentifier.registrant_id)
        .where(
            RegistrantIdentifier.kind == kind,
            RegistrantIdentifier.digest.in_(digests),
            Registrant.merged_into_id.is_(None),
        )
    )
    return {digest: registrant_id for digest, registrant_id in rows}


def _good(batch: list[Prepared], summary: ImportSummary) -> list[Prepared]:
    good = []
    for row in batch:
        if row[1] is None:
            good.append(row)
        else:
            summary.reject(row[0], row[1])
    return good


def _classify(session: Session, batch: list[Prepared], summary: ImportSummary, seen: set) -> None:
    """Dry run: count rows as new or duplicate without writing."""
    good = _good(batch, summary)
    known = {
        kind: _known(session, kind, [r[n] for r in good if r[n]])
        for kind, n in (("email", 2), ("phone", 3))
    }
    for row in good:
        keys = {(kind, int(row[n][:16], 16)) for kind, n in (("email", 2), ("phone", 3)) if row[n]}
        duplicate = bool(keys & seen) or any(
            row[n] in known[kind] for kind, n in (("email", 2), ("phone", 3)) if row[n]
        )
        seen |= keys
        summary.duplicates += duplicate
        summary.imported += not duplicate


REGISTRANT_INSERT = (
    "id",
    "public_id",
    "data_key_id",
    *(f"{name}_enc" for name in PERSONAL_FIELDS),
    "residence_prefecture",
    "birth_year",
    "age_band",
    "origin",
    "registered_at",
    *(f"utm_{k}" for k in registrants.UTM_KEYS),
    "referrer",
    "consent_notice_version",
    "consent_notice_sha256",
    "consent_at",
    "source",
    "created_at",
    "updated_at",
)
TOUCH_INSERT = (
    "registrant_id",
    "at",
    "channel",
    *(f"utm_{k}" for k in registrants.UTM_KEYS),
    "referrer",
)


class _Writer:
    """Writes prepared batches: duplicates found by blind index (in the database and
    earlier in the batch) get the arrival as a touch, new people are inserted whole."""

    def __init__(self, session: Session, summary: ImportSummary, *, actor_label: str) -> None:
        self.session = session
        self.summary = summary
        self.actor_label = actor_label
        self.created: list[str] = []
        self._inserts: dict[str, BulkInsert] = {}

    def _insert(self, table: sa.Table, columns: tuple[str, ...]) -> BulkInsert:
        connection = self.session.connection()
        insert = self._inserts.get(table.name)
        if insert is None or insert.connection is not connection:
            insert = self._inserts[table.name] = BulkInsert(connection, table, columns)
        return insert

    def audit_created(self) -> None:
        """One audit event for the registrants the batch created (public ids only)."""
        if self.created:
            audit.record(
                self.session,
                "registrant.create",
                actor_label=self.actor_label,
                entity_type="registrant",
                source="import",
                count=len(self.created),
                public_ids=self.created,
            )
        self.created = []

    def write(self, batch: list[Prepared]) -> tuple[int, int]:
        """Write one batch inside the current transaction; (imported, duplicates)."""
        good = _good(batch, self.summary)
        if not good:
            return 0, 0
        savepoint = self.session.begin_nested()
        try:
            result = self._write(good)
            savepoint.commit()
            return result
        except IntegrityError:
            # A concurrent writer registered one of these people meanwhile, or a
            # digest belongs to a merged registrant: redo the batch row by row.
            savepoint.rollback()
            return self._write_each(good)

    def _write(self, good: list[Prepared]) -> tuple[int, int]:
        session = self.session
        known = {
            kind: _known(session, kind, [r[n] for r in good if r[n]])
            for kind, n in (("email", 2), ("phone", 3))
        }
        fresh: dict[tuple[str, str], int] = {}
        new: list[Prepared] = []
        duplicates: list[tuple[Prepared, tuple[str, int]]] = []
        for row in good:
            target = None
            for kind, n in (("email", 2), ("phone", 3)):
                digest = row[n]
                if digest is None:
                    continue
                if (kind, digest) in fresh:
                    target = ("new", fresh[kind, digest])
                elif digest in known[kind]:
                    target = ("db", known[kind][digest])
                if target is not None:
                    break
            if target is None:
                for kind, n in (("email", 2), ("phone", 3)):
                    if row[n] is not None:
                        fresh[kind, row[n]] = len(new)
                new.append(row)
            else:
                duplicates.append((row, target))

        connection = session.connection()
        key_ids = reserve_ids(connection, DataKey.__table__, len(new)) if new else []
        ids = reserve_ids(connection, Registrant.__table__, len(new)) if new else []
        touches = self._repeat_touches(duplicates, new)
        now = utcnow()
        self._insert(DataKey.__table__, ("id", "uid", "kek_id", "wrapped", "created_at"))(
            [(key_id, r[14], r[15], r[16], now) for key_id, r in zip(key_ids, new, strict=True)]
        )
        self._insert(Registrant.__table__, REGISTRANT_INSERT)(
            [
                (rid, r[13], key_id, *r[17], r[7], r[8], None, r[9], r[4], *r[6])
                + ((r[5] or None) and r[5][:2000], r[10], r[11], r[12], "import", now, now)
                for rid, key_id, r in zip(ids, key_ids, new, strict=True)
            ]
        )
        self._insert(RegistrantIdentifier.__table__, ("registrant_id", "kind", "digest"))(
            [
                (rid, kind, r[n])
                for rid, r in zip(ids, new, strict=True)
                for kind, n in (("email", 2), ("phone", 3))
                if r[n] is not None
            ]
        )
        self._insert(UtmTouch.__table__, TOUCH_INSERT)(
            [
                (rid, r[4], "import", *r[6], (r[5] or None) and r[5][:2000])
                for rid, r in zip(ids, new, strict=True)
            ]
            + [
                (ids[index] if where == "new" else index, r[4], "import", *r[6], r[5])
                for r, (where, index) in touches
            ]
        )
        self.created.extend(r[13] for r in new)
        return len(new), len(duplicates)

    def _repeat_touches(
        self, duplicates: list[tuple[Prepared, tuple[str, int]]], new: list[Prepared]
    ) -> list[tuple[Prepared, tuple[str, int]]]:
        """The duplicates' arrivals to record: an identical one (same source, within a
        day) already stored or earlier in the batch is the same arrival repeated."""
        window = registrants.TOUCH_REPEAT_WINDOW
        existing: dict[tuple[str, int], list[tuple]] = {
            ("new", i): [(r[4], (r[5] or None) and r[5][:2000], r[6])] for i, r in enumerate(new)
        }
        in_db = sorted({index for _, (where, index) in duplicates if where == "db"})
        if in_db:
            times = [r[4] for r, (where, _) in duplicates if where == "db"]
            query = sa.select(
                UtmTouch.registrant_id,
                UtmTouch.at,
                UtmTouch.referrer,
                *(getattr(UtmTouch, f"utm_{k}") for k in registrants.UTM_KEYS),
            ).where(
                UtmTouch.registrant_id.in_(in_db),
                UtmTouch.channel == "import",
                UtmTouch.at > min(times) - window,
                UtmTouch.at < max(times) + window,
            )
            for rid, at, referrer, *utm in self.session.execute(query):
                existing.setdefault(("db", rid), []).append((at, referrer, tuple(utm)))
        out = []
        for row, target in duplicates:
            at, referrer, utm = row[4], row[5], row[6]
            stored = existing.setdefault(target, [])
            if any(r == referrer and u == utm and abs(at - t) < window for t, r, u in stored):
                continue
            stored.append((at, referrer, utm))
            out.append((row, target))
        return out

    def _write_each(self, good: list[Prepared]) -> tuple[int, int]:
        """The batch again, row by row, each row in its own savepoint: the exact path
        after a clash. A row that still clashes (its email or phone belongs to a
        merged registrant) is rejected with the field."""
        imported = duplicates = 0
        for row in good:
            savepoint = self.session.begin_nested()
            try:
                one_new, one_duplicate = self._write([row])
                savepoint.commit()
            except IntegrityError:
                savepoint.rollback()
                self.summary.reject(row[0], {"email" if row[2] else "phone": CONFLICT})
                continue
            imported += one_new
            duplicates += one_duplicate
        return imported, duplicates
