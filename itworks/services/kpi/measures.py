"""The one definition of each fact a measure counts, as SQL predicates.

Every count of these facts (the KGI/KPI counts, the stage funnel, publicity's
attribution, segmentation features) uses these, so "a career consultation", "a fair
application", "attendance" and "a hire by a Shimane IT company" mean the same
everywhere a number is shown (the written definitions are in ``kpi.progress``).
"""

from __future__ import annotations

import sqlalchemy as sa

from itworks.models import Company, Consultation, Event, EventSignup, Hire

CAREER_CONSULTATION = "career"  # the one consultation kind the consultations KPI counts
CANCELLED = "cancelled"
ATTENDED = "attended"


def career_consultation() -> sa.ColumnElement[bool]:
    """A consultation that counts toward the consultations KPI."""
    return Consultation.kind == CAREER_CONSULTATION


def is_fair() -> sa.ColumnElement[bool]:
    """The event is one of the year's job fairs (GO 島根！ITエンジニア転職フェア)."""
    return Event.kind == "fair"


def applied() -> sa.ColumnElement[bool]:
    """A sign-up that stands: anything but a cancelled one (an application)."""
    return EventSignup.status != CANCELLED


def attended() -> sa.ColumnElement[bool]:
    """A sign-up whose person came."""
    return EventSignup.status == ATTENDED


def shimane_it_hire() -> sa.ColumnElement[bool]:
    """A hire by a Shimane IT company; needs ``Company`` joined (see HIRE_EMPLOYER)."""
    return Company.shimane_it.is_(True)


# The join a hire needs for shimane_it_hire().
HIRE_EMPLOYER = (Company, Company.id == Hire.company_id)
