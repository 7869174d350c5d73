"""What keeps the figures fast at scale: the generation counter that validates cached
figures, and the indexes the stage funnel and the re-contact list read through.

**The figures' generation.** Computed figures (the KGI/KPI progress behind the
dashboard and ``/api/v1/funnel``) may be cached in a process, keyed by this counter.
Every transaction that writes to a table a figure could read from bumps it, in the
same transaction, just before it commits: so a committed write is never followed by
a stale figure, in this process or any other, whatever wrote it (ORM, Core,
``executemany``). The bump runs at commit, after every other lock the transaction
takes, so it cannot deadlock with them; tables that hold no figure's input (the audit
trail, tokens, login sessions, the outbox…) are left out so that bookkeeping writes
do not invalidate anything.
"""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Mapped, mapped_column

from .activity import (
    Consultation,
    EventSignup,
    Hire,
    Introduction,
    SurveyResponse,
    TierAssignment,
)
from .base import Base
from .engagement import ContactLog, StageExit

GENERATION_TABLE = "figure_generation"
# Written often, read by no figure.
NOT_FIGURES = frozenset(
    {
        GENERATION_TABLE,
        "alembic_version",
        "api_tokens",
        "audit_chain_head",
        "audit_events",
        "data_keys",
        "key_checks",
        "login_failures",
        "login_sessions",
        "outbox_messages",
        "rate_limit_counters",
        "survey_links",
    }
)


class FigureGeneration(Base):
    """One row (id 1): bumped by every committed write that could change a figure."""

    __tablename__ = GENERATION_TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLAC")


def _written_table(statement: str) -> str | None:
    """The table a data-changing statement writes to (None for anything else)."""
    head = statement.lstrip()[:6].upper()
    if head not in _WRITE_VERBS:
        return None
    words = statement.split(None, 6)
    for i, word in enumerate(words[:-1]):
        if word.upper() in ("INTO", "UPDATE", "FROM"):
            return words[i + 1].strip('"`(').split("(")[0].lower()
    return "?"  # unparsed: assume it may matter


def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
    if statement.lstrip()[:4].upper() in ("DROP", "ALTE", "CREA"):
        conn.info.pop("figures_table", None)  # a migration: look for the table again
    if conn.info.get("figures_dirty"):
        return
    table = _written_table(statement)
    if table is not None and table not in NOT_FIGURES:
        conn.info["figures_dirty"] = True


def _table_ready(conn: sa.Connection, cursor) -> bool:  # noqa: ANN001
    """Whether the generation table exists yet (it does not during the first migrations)."""
    if conn.info.get("figures_table"):
        return True
    if conn.dialect.name == "postgresql":
        cursor.execute(f"SELECT to_regclass('{GENERATION_TABLE}') IS NOT NULL")
    else:
        cursor.execute(
            f"SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' "  # nosec B608: names from our own schema, values bound
            f"AND name = '{GENERATION_TABLE}'"
        )
    ready = bool(cursor.fetchone()[0])
    if ready:
        conn.info["figures_table"] = True
    return ready


def _bump(conn: sa.Connection) -> None:
    """Just before COMMIT: bump the generation if the transaction wrote a figure's input.

    Runs on the raw driver cursor (no event recursion), in the transaction itself."""
    if not conn.info.pop("figures_dirty", False):
        return
    # None only for an invalidated connection, never inside a running transaction.
    dbapi = cast(DBAPIConnection, conn.connection.dbapi_connection)
    cursor = dbapi.cursor()
    try:
        if _table_ready(conn, cursor):
            cursor.execute(f"UPDATE {GENERATION_TABLE} SET value = value + 1 WHERE id = 1")  # nosec B608: names from our own schema, values bound
            if cursor.rowcount == 0:
                cursor.execute(f"INSERT INTO {GENERATION_TABLE} (id, value) VALUES (1, 1)")  # nosec B608: names from our own schema, values bound
    finally:
        cursor.close()


def _forget(conn: sa.Connection) -> None:
    conn.info.pop("figures_dirty", None)


def current_generation(connection: sa.Connection) -> int:
    """The committed generation as this transaction sees it (0 before the first write)."""
    return int(
        connection.execute(
            sa.select(FigureGeneration.value).where(FigureGeneration.id == 1)
        ).scalar()
        or 0
    )


sa.event.listen(sa.Engine, "before_cursor_execute", _note_write)
sa.event.listen(sa.Engine, "commit", _bump)
sa.event.listen(sa.Engine, "rollback", _forget)


# The stage funnel and the re-contact list: every fact table is read by registrant and
# time, so each gets a (registrant_id, time) index that the per-person minimums and
# "latest contact" maxima are answered from (see tables.stages, services.tiers.recontact).
PERFORMANCE_INDEXES = (
    sa.Index("ix_survey_responses_person_time", SurveyResponse.registrant_id,
             SurveyResponse.submitted_at),
    sa.Index("ix_contact_logs_person_time", ContactLog.registrant_id, ContactLog.contacted_at),
    sa.Index("ix_consultations_person_time", Consultation.registrant_id, Consultation.held_at),
    sa.Index("ix_event_signups_person", EventSignup.registrant_id, EventSignup.event_id,
             EventSignup.status),
    sa.Index("ix_introductions_person_time", Introduction.registrant_id,
             Introduction.introduced_at),
    sa.Index("ix_hires_person_time", Hire.registrant_id, Hire.hired_at),
    sa.Index("ix_stage_exits_person", StageExit.registrant_id, StageExit.exited_at),
    sa.Index("ix_tier_assignments_person", TierAssignment.registrant_id,
             TierAssignment.assigned_at),
)  # fmt: skip
