"""Spreadsheet imports. Every import shares the row rules: each row is imported,
recognised as a duplicate, or rejected with its line number and a reason per
field; exit status 1 when any row was rejected; --dry-run writes nothing;
--all-or-nothing writes nothing unless every row is good."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import csvio
from itworks.crypto import Vault
from itworks.i18n import N_, message_of
from itworks.japanese import is_valid_email, normalize_email
from itworks.models import (
    Registrant,
)
from itworks.services import audit
from itworks.services.errors import InvalidInput
from itworks.services.intake import registrants

Progress = Callable[[int], None]

EMAIL_HEADERS = ("メールアドレス", "メール", "eメール", "e-mail", "mail")


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportSummary:
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    encoding: str | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.rejected == 0 else 1

    def reject(self, row: int, errors: dict[str, str]) -> None:
        self.rejected += 1
        self.errors.extend(RowError(row, f, m) for f, m in sorted(errors.items()))

    def finish(self, session: Session, action: str, actor_label: str) -> ImportSummary:
        """Audit the import's counts (never its rows) and commit."""
        audit.record(
            session,
            action,
            actor_label=actor_label,
            entity_type="import",
            imported=self.imported,
            duplicates=self.duplicates,
            rejected=self.rejected,
        )
        session.commit()
        return self

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "errors": [asdict(e) for e in self.errors],
            "dry_run": self.dry_run,
            "encoding": self.encoding,
        }


def file_error(summary: ImportSummary, message: str, field: str = "file") -> ImportSummary:
    """Record a problem with the whole file (reported as line 1, the header)."""
    summary.rejected += 1
    summary.errors.append(RowError(1, field, message))
    return summary


def read_table(
    summary: ImportSummary,
    data: bytes,
    aliases: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
) -> list[tuple[int, dict[str, str]]] | None:
    """The file's rows, or None once a file-level error is recorded in ``summary``
    (unreadable, or a required column missing)."""
    try:
        columns, rows, summary.encoding = csvio.read_rows(data, aliases)
    except csvio.CsvFormatError as exc:
        file_error(summary, message_of(exc))
        return None
    missing = [c for c in required if c not in columns]
    for column in missing:
        file_error(summary, N_("列がありません: %(column)s", column=column), field=column)
    return None if missing else rows


def registrant_by_email(
    session: Session, vault: Vault, value: str | None, errors: dict[str, str]
) -> Registrant | None:
    """The live registrant a row's email names; otherwise a reason under ``errors["email"]``."""
    email = normalize_email(value or "")
    if not is_valid_email(email):
        errors["email"] = registrants.MESSAGES["email"]
        return None
    registrant = registrants.find_existing(session, vault, email, None)
    if registrant is None:
        errors["email"] = UNKNOWN_EMAIL
    return registrant


SURVEY_META_COLUMNS = {
    "email": EMAIL_HEADERS,
    "submitted_at": ("回答日", "回答日時", "submitted"),
}
UNKNOWN_EMAIL = N_("このメールアドレスの登録者がいません")


def import_survey_responses(
    session: Session,
    vault: Vault,
    data: bytes,
    *,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    actor_label: str = "cli",
    progress: Progress | None = None,
) -> ImportSummary:
    """Import answers kept in spreadsheets, matched to registrants by email.

    Columns are the question ids (multiple choice separated by ``;``), plus
    ``email`` and an optional ``submitted_at`` (回答日). A row identical to a
    sheet already stored (same person, time and answers) is a duplicate, so
    importing a file twice changes nothing.
    """
    from itworks.models import SurveyResponse
    from itworks.services.surveys import responses as survey_responses

    summary = ImportSummary(dry_run=dry_run)
    instrument = survey_responses.current_instrument()
    aliases = {**SURVEY_META_COLUMNS, **{q.id: () for q in instrument.questions}}
    rows = read_table(summary, data, aliases, ("email",))
    if rows is None:
        return summary

    parsed = []
    for line, values in rows:
        errors: dict[str, str] = {}
        registrant = registrant_by_email(session, vault, values.get("email"), errors)
        submitted_at = None
        if "submitted_at" in values:
            try:
                submitted_at = csvio.parse_datetime(values["submitted_at"])
            except ValueError as exc:
                errors["submitted_at"] = message_of(exc)
        raw = {
            q.id: (values[q.id].split(";") if q.type == "multiple" else values[q.id])
            for q in instrument.questions
            if q.id in values
        }
        try:
            cleaned = survey_responses.clean(raw, instrument, partial=True)
            if not cleaned:
                errors["answers"] = N_("回答がありません")
        except InvalidInput as exc:
            errors.update(exc.errors)
        if errors or registrant is None:  # no registrant always comes with errors["email"]
            summary.reject(line, errors)
            continue
        parsed.append((line, registrant, cleaned, submitted_at))

    def already_stored(registrant, cleaned, submitted_at) -> bool:  # noqa: ANN001
        coded, _free = survey_responses.split_personal(cleaned, instrument)
        query = sa.select(SurveyResponse.answers).where(
            SurveyResponse.registrant_id == registrant.id,
            SurveyResponse.channel == "import",
        )
        if submitted_at is not None:
            query = query.where(SurveyResponse.submitted_at == submitted_at)
        return any(stored == coded for stored in session.scalars(query))

    if dry_run or (all_or_nothing and summary.rejected):
        for _line, registrant, cleaned, submitted_at in parsed:
            known = already_stored(registrant, cleaned, submitted_at)
            summary.duplicates += known
            summary.imported += not known and not (all_or_nothing and summary.rejected)
        session.rollback()
        return summary

    for done, (_line, registrant, cleaned, submitted_at) in enumerate(parsed, start=1):
        if already_stored(registrant, cleaned, submitted_at):
            summary.duplicates += 1
        else:
            survey_responses.record(
                session,
                vault,
                registrant,
                cleaned,
                instrument=instrument,
                channel="import",
                submitted_at=submitted_at,
                actor_label=actor_label,
            )
            summary.imported += 1
            if not all_or_nothing:
                session.commit()
        if progress:
            progress(done)
    return summary.finish(session, "import.survey_responses", actor_label)
