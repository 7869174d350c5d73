"""SQLAlchemy 2.0 typed models. Importing this package registers every table."""

from __future__ import annotations

from ..vocabulary import OUTBOX_STATUSES
from .activity import (
    EVENT_KINDS,
    TIERS,
    Campaign,
    Company,
    Consultation,
    Event,
    EventSignup,
    Hire,
    Introduction,
    ReasonCode,
    SurveyResponse,
    TierAssignment,
)
from .audit import AuditChainHead, AuditEvent
from .base import Base, new_public_id, utcnow
from .coordinator import NurturePlan
from .engagement import (
    FUNNEL_STAGES,
    ContactLog,
    HalfYearNote,
    InvitationRound,
    SegmentationRun,
    StageExit,
    SurveyLink,
)
from .funnel import FUNNEL_INDEXES, LIST_INDEXES  # noqa: F401  (registers the indexes)
from .invitations import INVITATION_ANSWERS, Invitation, InvitationBatch
from .keys import DataKey, KeyCheck
from .kpi import MEASURES, FiscalYearPlan, KpiHistory, KpiTarget, Setting
from .matching import (
    PROVISION_ITEMS,
    SETTLING_OUTCOMES,
    IntroductionStage,
    SettlingFollowUp,
    ThirdPartyProvision,
)
from .materials import EventMaterial
from .outbox import OutboxMessage
from .performance import PERFORMANCE_INDEXES, FigureGeneration  # noqa: F401  (indexes, cache)
from .privacy import FieldHistory, PrivacyRequest
from .ratelimit import RateLimitCounter
from .registrants import ORIGINS, PERSONAL_FIELDS, Registrant, RegistrantIdentifier, UtmTouch
from .users import ROLES, ApiToken, LoginFailure, LoginSession, User

__all__ = [
    "FUNNEL_STAGES",
    "ContactLog",
    "HalfYearNote",
    "InvitationRound",
    "SegmentationRun",
    "StageExit",
    "SurveyLink",
    "EVENT_KINDS",
    "MEASURES",
    "ORIGINS",
    "PERSONAL_FIELDS",
    "ROLES",
    "TIERS",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Campaign",
    "Company",
    "Consultation",
    "DataKey",
    "Event",
    "EventSignup",
    "EventMaterial",
    "NurturePlan",
    "FieldHistory",
    "FiscalYearPlan",
    "Hire",
    "INVITATION_ANSWERS",
    "Invitation",
    "InvitationBatch",
    "Introduction",
    "KeyCheck",
    "KpiHistory",
    "KpiTarget",
    "LoginFailure",
    "LoginSession",
    "OUTBOX_STATUSES",
    "OutboxMessage",
    "PrivacyRequest",
    "PROVISION_ITEMS",
    "SETTLING_OUTCOMES",
    "IntroductionStage",
    "SettlingFollowUp",
    "ThirdPartyProvision",
    "RateLimitCounter",
    "ReasonCode",
    "Registrant",
    "RegistrantIdentifier",
    "Setting",
    "SurveyResponse",
    "TierAssignment",
    "User",
    "UtmTouch",
    "new_public_id",
    "utcnow",
]
