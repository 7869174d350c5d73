"""Staff accounts, login with throttling, and server-side login sessions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from itworks import crypto
from itworks.crypto import Vault
from itworks.database import begin_write, touch
from itworks.i18n import N_
from itworks.models import ROLES, LoginFailure, LoginSession, User, utcnow
from itworks.services import audit
from itworks.services.errors import Conflict, InvalidInput, NotFound

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
MIN_PASSWORD_LENGTH = 12

LOGIN_REFUSED = N_(
    "ユーザー名またはパスワードが正しくありません。繰り返し失敗した場合はしばらくお待ちください。"
)


class LoginRefused(Exception):
    """Login failed. One message for unknown user, wrong password and lockout."""

    def __init__(self) -> None:
        super().__init__(LOGIN_REFUSED)


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    idle: timedelta = timedelta(hours=8)


def _validate_account(username: str, role: str, password: str | None) -> None:
    errors = {}
    if not USERNAME_RE.match(username or ""):
        errors["username"] = N_("ユーザー名は英小文字・数字・._- の3〜64文字です")
    if role not in ROLES:
        errors["role"] = N_("役割は %(codes)s のいずれかです", codes=", ".join(ROLES))
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = N_("パスワードは%(n)s文字以上です", n=MIN_PASSWORD_LENGTH)
    if errors:
        raise InvalidInput(errors)


def create_user(
    session: Session, username: str, role: str, password: str, *, actor_label: str = "cli"
) -> User:
    username = (username or "").strip()
    _validate_account(username, role, password)
    if session.scalar(sa.select(User.id).where(User.username == username)):
        raise Conflict(N_("ユーザー %(name)s は既に存在します", name=username))
    user = User(username=username, role=role, password_hash=crypto.hash_password(password))
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.create",
        actor_label=actor_label,
        entity_type="user",
        entity_id=username,
        role=role,
    )
    session.commit()
    return user


def set_password(
    session: Session, username: str, password: str, *, actor_label: str = "cli"
) -> User:
    user = get_user(session, username)
    _validate_account(user.username, user.role, password)
    user.password_hash = crypto.hash_password(password)
    # A new password ends every open session of that account.
    _revoke_all(session, user)
    audit.record(
        session, "user.password", actor_label=actor_label, entity_type="user", entity_id=username
    )
    session.commit()
    return user


def set_active(session: Session, username: str, active: bool, *, actor_label: str = "cli") -> User:
    user = get_user(session, username)
    user.active = active
    if not active:
        _revoke_all(session, user)
    audit.record(
        session,
        "user.activate" if active else "user.deactivate",
        actor_label=actor_label,
        entity_type="user",
        entity_id=username,
    )
    session.commit()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(N_("ユーザー %(name)s はいません", name=username))
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).order_by(User.username)))


def _revoke_all(session: Session, user: User) -> None:
    session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def authenticate(
    session: Session,
    vault: Vault,
    username: str,
    password: str,
    policy: LoginPolicy = LoginPolicy(),
    now: datetime | None = None,
) -> tuple[User, str]:
    """Check a login and open a server-side session; returns (user, session token).

    Failures are counted per typed username (as a keyed digest), so unknown
    names are throttled exactly like real ones and nothing reveals which is which.
    """
    now = now or utcnow()
    begin_write(session)  # every path below writes (a failure or a new session)
    key = vault.login_key(username or "")
    recent = session.scalar(
        sa.select(sa.func.count(LoginFailure.id)).where(
            LoginFailure.username_hash == key, LoginFailure.failed_at > now - policy.window
        )
    )
    recent = recent or 0  # COUNT always returns a row: never None in fact
    user = session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    password_ok = crypto.verify_password(user.password_hash if user else None, password or "")
    if recent >= policy.max_failures or user is None or not user.active or not password_ok:
        session.add(LoginFailure(username_hash=key, failed_at=now))
        audit.record(
            session,
            "login.failed",
            actor_label="anonymous",
            # The account only when it exists: a typed name that is no account
            # may be a password typed into the wrong field.
            entity_type="user" if user else None,
            entity_id=user.username if user else None,
            outcome="failed",
            locked=recent >= policy.max_failures,
        )
        session.commit()
        raise LoginRefused()
    if crypto.password_needs_rehash(user.password_hash):
        user.password_hash = crypto.hash_password(password)
    session.execute(sa.delete(LoginFailure).where(LoginFailure.username_hash == key))
    token = crypto.new_token()
    session.add(
        LoginSession(
            token_hash=crypto.token_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
        )
    )
    user.last_login_at = now
    audit.record(session, "login", actor=user)
    session.commit()
    return user, token


def _session_row(token: str) -> sa.Select:
    return sa.select(LoginSession).where(LoginSession.token_hash == crypto.token_digest(token))


def load_session(
    session: Session, token: str, policy: LoginPolicy = LoginPolicy(), now: datetime | None = None
) -> User | None:
    """The user of a live login session, or None if revoked, idle too long or disabled."""
    now = now or utcnow()
    row = session.scalar(_session_row(token))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if now - row.last_seen_at > policy.idle:
        try:
            row.revoked_at = now
            session.commit()
        except OperationalError:
            session.rollback()  # refused either way; the next request revokes it
        return None
    # Touch rarely: a write per request would serialise readers on SQLite.
    if now - row.last_seen_at > timedelta(minutes=5):
        user = row.user
        touch(session, LoginSession, row.id, "last_seen_at", now, timedelta(minutes=5))
        return user
    return row.user


def end_session(session: Session, token: str) -> None:
    row = session.scalar(_session_row(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, "logout", actor=row.user)
        session.commit()
