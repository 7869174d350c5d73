"""Exports for admins: every registrant, decrypted, as CSV that Excel opens."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import csvio
from itworks.crypto import Vault
from itworks.models import PERSONAL_FIELDS, DataKey, Registrant
from itworks.services import audit
from itworks.services.intake import registrants
from itworks.services.tiers.tiers import current_tiers

# The registrant columns written as they are, after the public id and the personal fields.
FACTS = (
    "residence_prefecture",
    "birth_year",
    "origin",
    "registered_at",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "consent_notice_version",
    "consent_at",
)


HEADER = ("public_id", *PERSONAL_FIELDS, *FACTS, "tier", "tier_method", "erased")


def export_registrants(session: Session, vault: Vault, handle: TextIO, *, actor_label: str) -> int:
    """Write every live registrant to ``handle``; audited with the count only.

    Rows are read as plain columns (no ORM objects) with their data key joined,
    streamed in batches, and decrypted one registrant at a time."""
    tiers = current_tiers(session)
    encrypted = [getattr(Registrant, f"{name}_enc") for name in PERSONAL_FIELDS]
    query = (
        sa.select(
            Registrant.id,
            Registrant.public_id,
            Registrant.erased_at,
            *[getattr(Registrant, name) for name in FACTS],
            *encrypted,
            DataKey.uid,
            DataKey.kek_id,
            DataKey.wrapped,
        )
        .outerjoin(DataKey, DataKey.id == Registrant.data_key_id)
        .where(Registrant.merged_into_id.is_(None))
        .order_by(Registrant.registered_at, Registrant.id)
        .execution_options(yield_per=2000)
    )

    def rows():  # noqa: ANN202
        for row in session.execute(query):
            if row.erased_at is not None:
                personal: dict[str, str | None] = dict.fromkeys(PERSONAL_FIELDS)
                unreadable: list[str] = []
            else:
                blobs = {name: getattr(row, f"{name}_enc") for name in PERSONAL_FIELDS}
                personal, unreadable = registrants.decrypt_values(vault, row.public_id, row, blobs)
            facts = [getattr(row, name) for name in FACTS]
            tier, method = tiers.get(row.id, (None, None))
            yield (
                row.public_id,
                *["#UNREADABLE" if f in unreadable else personal[f] for f in PERSONAL_FIELDS],
                *[value.isoformat() if isinstance(value, datetime) else value for value in facts],
                tier,
                method,
                "yes" if row.erased_at else "",
            )

    count = csvio.write_excel_csv(handle, HEADER, rows())
    audit.record(
        session,
        "registrant.export",
        actor_label=actor_label,
        entity_type="registrant",
        rows=count,
    )
    session.commit()
    return count
