"""Bearer tokens for the JSON API. The token is shown once; only its digest is kept."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import crypto
from itworks.database import touch
from itworks.i18n import N_
from itworks.models import ApiToken, utcnow
from itworks.services import audit
from itworks.services.accounts.users import USERNAME_RE
from itworks.services.errors import Conflict, InvalidInput, NotFound
from itworks.vocabulary import TOKEN_SCOPES

SCOPES = TOKEN_SCOPES
TOKEN_PREFIX = "itw_"  # lets secret scanners and people recognise a leaked token
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is at most this stale


def create(session: Session, name: str, scope: str, *, actor_label: str = "cli") -> str:
    """Create a token and return it; it cannot be shown again."""
    errors = {}
    if not USERNAME_RE.match(name or ""):
        errors["name"] = N_("名前は英小文字・数字・._- の3〜64文字です")
    if scope not in SCOPES:
        errors["scope"] = N_("スコープは intake か read です")
    if errors:
        raise InvalidInput(errors)
    if session.scalar(sa.select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise Conflict(N_("トークン %(name)s は既にあります", name=name))
    token = TOKEN_PREFIX + crypto.new_token()
    session.add(ApiToken(name=name, scope=scope, digest=crypto.token_digest(token)))
    audit.record(
        session,
        "token.create",
        actor_label=actor_label,
        entity_type="api_token",
        entity_id=name,
        scope=scope,
    )
    session.commit()
    return token


def revoke(session: Session, name: str, *, actor_label: str = "cli") -> None:
    row = session.scalar(sa.select(ApiToken).where(ApiToken.name == name))
    if row is None:
        raise NotFound(N_("トークン %(name)s はありません", name=name))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session,
            "token.revoke",
            actor_label=actor_label,
            entity_type="api_token",
            entity_id=name,
        )
        session.commit()


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(sa.select(ApiToken).order_by(ApiToken.name)))


def authenticate(session: Session, token: str) -> ApiToken | None:
    """The live token row for a presented bearer token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(sa.select(ApiToken).where(ApiToken.digest == crypto.token_digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    # Record use at most once a minute per token: one write per request would put a
    # write transaction on every read and serialise intake on SQLite. The check here
    # spares the write; the conditional UPDATE in touch() makes concurrent requests
    # (other workers) write once.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY:
        touch(session, ApiToken, row.id, "last_used_at", now, LAST_USED_EVERY)
    return row
