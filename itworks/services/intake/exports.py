"""Exports for admins: every registrant, decrypted, as CSV that Excel opens."""

from __future__ import annotations

from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from itworks import csvio
from itworks.crypto import Vault
from itworks.models import PERSONAL_FIELDS, Registrant
from itworks.services import audit
from itworks.services.intake import registrants
from itworks.services.tiers.tiers import current_tiers

HEADER = (
    "public_id",
    *PERSONAL_FIELDS,
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
    "tier",
    "tier_method",
    "erased",
)


def export_registrants(session: Session, vault: Vault, handle: TextIO, *, actor_label: str) -> int:
    """Write every live registrant to ``handle``; audited with the count only."""
    tiers = current_tiers(session)

    def rows():  # noqa: ANN202
        query = (
            sa.select(Registrant)
            .where(Registrant.merged_into_id.is_(None))
            .order_by(Registrant.registered_at, Registrant.id)
            # Each batch's data keys in one query, not one per row.
            .options(selectinload(Registrant.data_key))
            .execution_options(yield_per=500)
        )
        for registrant in session.scalars(query):
            personal, unreadable = registrants.decrypt_fields(vault, registrant)
            tier, method = tiers.get(registrant.id, (None, None))
            yield (
                registrant.public_id,
                *["#UNREADABLE" if f in unreadable else personal[f] for f in PERSONAL_FIELDS],
                registrant.residence_prefecture,
                registrant.birth_year,
                registrant.origin,
                registrant.registered_at.isoformat(),
                registrant.utm_source,
                registrant.utm_medium,
                registrant.utm_campaign,
                registrant.utm_term,
                registrant.utm_content,
                registrant.referrer,
                registrant.consent_notice_version,
                registrant.consent_at.isoformat() if registrant.consent_at else None,
                tier,
                method,
                "yes" if registrant.erased_at else "",
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
