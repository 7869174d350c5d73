"""`itworks import tiers FILE`: tiers coordinators confirmed in spreadsheets
(for example the previous operator's interview notes), matched by email.

The row rules are those of every import (``services.imports``): each row is
imported, recognised as a duplicate, or rejected with its line number and a
reason per field; --dry-run writes nothing; --all-or-nothing writes nothing
unless every row is good. A row whose tier the registrant already holds from
a confirmation, or that an earlier import already recorded, is a duplicate,
so importing a file twice changes nothing and never undoes a later decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.crypto import Vault
from itworks.database import begin_write
from itworks.i18n import N_
from itworks.models import Registrant, TierAssignment
from itworks.services.errors import InvalidInput
from itworks.services.intake.imports import (
    EMAIL_HEADERS,
    ImportSummary,
    Progress,
    read_table,
    registrant_by_email,
)
from itworks.services.tiers import tiers

COLUMNS = {
    "email": EMAIL_HEADERS,
    "tier": ("ティア", "区分", "段階", "移住意向", "tier_code"),
    "reason": ("理由", "理由コード", "reason_code"),
}
MESSAGES = {
    "twice": N_("同じ登録者の別のティアがこのファイルの前の行にあります"),
}


@dataclass
class _Row:
    line: int
    registrant: Registrant
    tier: str
    reason: str | None


def _parse(session: Session, vault: Vault, line: int, values: dict[str, str]) -> _Row:
    errors: dict[str, str] = {}
    registrant = registrant_by_email(session, vault, values.get("email"), errors)
    if registrant is not None and registrant.erased_at is not None:
        errors["email"] = tiers.MESSAGES["erased"]
    tier = reason = None
    try:
        tier = tiers.parse_tier(values.get("tier", ""))
    except InvalidInput as exc:
        errors.update(exc.errors)
    try:
        reason = tiers.parse_reason(session, values.get("reason"))
    except InvalidInput as exc:
        errors.update(exc.errors)
    # registrant and tier are None only together with an error (see above).
    if errors or registrant is None or tier is None:
        raise InvalidInput(errors)
    return _Row(line, registrant, tier, reason)


def _already_recorded(session: Session, row: _Row) -> bool:
    """The registrant holds this tier from a confirmation, or an import gave it before."""
    current = tiers.current_tiers_of(session, [row.registrant.id]).get(row.registrant.id)
    if current is not None and current[1] in tiers.CONFIRMING and current[0] == row.tier:
        return True
    earlier = session.scalar(
        sa.select(TierAssignment.id)
        .where(
            TierAssignment.registrant_id == row.registrant.id,
            TierAssignment.method == "import",
            TierAssignment.tier == row.tier,
        )
        .limit(1)
    )
    return earlier is not None


def import_tiers(
    session: Session,
    vault: Vault,
    data: bytes,
    *,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    actor_label: str = "cli",
    progress: Progress | None = None,
) -> ImportSummary:
    """Record confirmed tiers (method ``import``) from a CSV of email, tier, reason.

    ``tier`` is a code (``move_now``…) or the Japanese label; ``reason`` an
    optional tier-override reason code or its label.
    """
    summary = ImportSummary(dry_run=dry_run)
    rows = read_table(summary, data, COLUMNS, ("email", "tier"))
    if rows is None:
        return summary

    parsed: list[_Row] = []
    given: dict[int, str] = {}
    for line, values in rows:
        try:
            row = _parse(session, vault, line, values)
        except InvalidInput as exc:
            summary.reject(line, exc.errors)
            continue
        earlier = given.setdefault(row.registrant.id, row.tier)
        if earlier != row.tier:
            summary.reject(line, {"tier": MESSAGES["twice"]})
            continue
        parsed.append(row)

    seen: set[int] = set()
    write = not dry_run and not (all_or_nothing and summary.rejected)
    if write and all_or_nothing:
        begin_write(session)
    for done, row in enumerate(parsed, start=1):
        if row.registrant.id in seen or _already_recorded(session, row):
            summary.duplicates += 1
        else:
            seen.add(row.registrant.id)
            summary.imported += 1
            if write:
                tiers.add_confirmation(
                    session,
                    row.registrant,
                    row.tier,
                    method="import",
                    reason_code=row.reason,
                    actor_label=actor_label,
                )
                if not all_or_nothing:
                    session.commit()
        if progress:
            progress(done)
    if not write:
        if all_or_nothing and summary.rejected:
            summary.imported = 0
        session.rollback()
        return summary
    return summary.finish(session, "import.tiers", actor_label)
