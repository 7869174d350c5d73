"""Indexes that let the KGI/KPI counts and the registrant list be answered from the
index alone (covering indexes), so the dashboard and the list stay fast with
100,000 registrants. No new tables."""

from __future__ import annotations

import sqlalchemy as sa

from .activity import Consultation, EventSignup
from .registrants import Registrant

FUNNEL_INDEXES = (
    # new registrants: range counts on registered_at, skipping merged duplicates
    sa.Index("ix_registrants_funnel", Registrant.registered_at, Registrant.merged_into_id),
    # the few rows that took part in a merge; partial, so that the planner never takes
    # it for "merged_into_id IS NULL" (nearly every row)
    sa.Index(
        "ix_registrants_merged_into_id",
        Registrant.merged_into_id,
        sqlite_where=Registrant.merged_into_id.is_not(None),
        postgresql_where=Registrant.merged_into_id.is_not(None),
    ),
    # consultations: each registrant's first career consultation, read in index order
    sa.Index(
        "ix_consultations_funnel",
        Consultation.kind,
        Consultation.registrant_id,
        Consultation.held_at,
    ),
    # fair applications: range counts on signed_up_at per fair, status from the index
    sa.Index(
        "ix_event_signups_funnel",
        EventSignup.event_id,
        EventSignup.signed_up_at,
        EventSignup.status,
    ),
)

# The registrant list and every count of "registrants in use" (services.privacy.scope
# .in_use: not merged, not erased, use not stopped): newest first from the index, and
# its count without reading the wide, encrypted rows. Partial, so it holds only those.
IN_USE = sa.and_(
    Registrant.merged_into_id.is_(None),
    Registrant.erased_at.is_(None),
    Registrant.use_stopped_at.is_(None),
)
LIST_INDEXES = (
    sa.Index(
        "ix_registrants_in_use",
        Registrant.registered_at,
        Registrant.id,
        sqlite_where=IN_USE,
        postgresql_where=IN_USE,
    ),
)
