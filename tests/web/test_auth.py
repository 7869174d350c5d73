"""Login, throttling, CSRF, session renewal and logout."""

from __future__ import annotations

import pytest

from testsupport import PASSWORD, csrf_token

REFUSED = "ユーザー名またはパスワードが正しくありません"


def test_login_page_is_japanese_first(client) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text
    assert "ログイン" in page.text and "ユーザー名" in page.text and "パスワード" in page.text


def test_login_page_in_english(client) -> None:
    page = client.get("/login?lang=en")
    assert '<html lang="en">' in page.text
    assert "Log in" in page.text and "Username" in page.text and "ログイン" not in page.text


def test_coordinators_land_on_today_after_login(client, auth) -> None:
    response = auth.login(role="coordinator")
    assert response.status_code == 302
    assert response.headers["Location"] == "/today"
    assert client.get("/today").status_code == 200


@pytest.mark.parametrize("role", ["prefecture", "admin"])
def test_other_roles_land_on_the_dashboard_after_login(client, auth, role: str) -> None:
    response = auth.login(role=role)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "令和4年度" in dashboard.text


def test_unknown_user_and_wrong_password_get_the_same_answer(client, auth, make_user) -> None:
    make_user("coord", "coordinator")
    wrong = auth.login("coord", "not the password")
    unknown = auth.login("nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert REFUSED in wrong.text and REFUSED in unknown.text

    def main_part(html: str, username: str) -> str:
        part = html.split("<main>")[1].split("</main>")[0]
        part = part.replace(csrf_token(html), "…")  # signed with a timestamp
        return part.replace(f'value="{username}"', 'value="…"')

    assert main_part(wrong.text, "coord") == main_part(unknown.text, "nobody")


def test_lockout_after_repeated_failures_even_with_the_right_password(
    client, auth, make_user
) -> None:
    make_user("coord", "coordinator")
    for _ in range(5):
        assert auth.login("coord", "wrong password!").status_code == 401
    locked = auth.login("coord", PASSWORD)
    assert locked.status_code == 401
    assert REFUSED in locked.text
    assert client.get("/").status_code == 302  # still not logged in


def test_unknown_usernames_are_throttled_too(auth) -> None:
    for _ in range(6):
        response = auth.login("ghost", "whatever password")
    assert response.status_code == 401 and REFUSED in response.text


def test_lockout_ends_after_the_window(app, client, auth, make_user, session) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from itworks.models import LoginFailure

    make_user("coord", "coordinator")
    for _ in range(5):
        auth.login("coord", "wrong password!")
    from itworks.models import utcnow

    session.execute(sa.update(LoginFailure).values(failed_at=utcnow() - timedelta(minutes=16)))
    session.commit()
    assert auth.login("coord", PASSWORD).status_code == 302


def test_login_without_csrf_token_is_400(client, make_user) -> None:
    make_user("coord", "coordinator")
    response = client.post("/login", data={"username": "coord", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_with_a_forged_csrf_token_is_400(client, make_user) -> None:
    make_user("coord", "coordinator")
    client.get("/login")
    response = client.post(
        "/login", data={"username": "coord", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400


def test_login_starts_a_new_session(client, auth, make_user) -> None:
    make_user("coord", "coordinator")
    client.get("/login")
    before = client.get_cookie("itworks_session").value
    auth.login("coord", PASSWORD)
    after = client.get_cookie("itworks_session").value
    assert before != after


def test_logout_really_ends_the_session(app, client, auth, make_user) -> None:
    make_user("coord", "coordinator")
    auth.login("coord", PASSWORD)
    stolen = client.get_cookie("itworks_session").value
    assert client.get("/registrants/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/registrants/").status_code == 302
    # Replaying the cookie captured before logout must not work either.
    replay = app.test_client()
    replay.set_cookie("itworks_session", stolen)
    assert replay.get("/registrants/").status_code == 302


def test_logout_needs_csrf(client, auth, make_user) -> None:
    make_user("coord", "coordinator")
    auth.login("coord", PASSWORD)
    assert client.post("/logout").status_code == 400
    assert client.get("/registrants/").status_code == 200


def test_disabled_user_loses_session(app, client, auth, make_user, session) -> None:
    from itworks.services.accounts import users

    make_user("coord", "coordinator")
    auth.login("coord", PASSWORD)
    users.set_active(session, "coord", False)
    assert client.get("/registrants/").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/%09/evil.example",
        "/%0A/evil.example",
        "/%0D/evil.example",
        "/%20/evil.example",
        "/%5C/evil.example",
        "https://evil.example/",
        "/\u3000/evil.example",
        "javascript:alert(1)",
    ],
)
def test_open_redirect_is_refused(client, make_user, target: str) -> None:
    make_user("coord", "coordinator")
    page = client.get("/login")
    response = client.post(
        f"/login?next={target}",
        data={"username": "coord", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/today"  # the coordinator's home, not the target


def test_a_path_on_this_site_is_kept_after_login(client, make_user) -> None:
    make_user("coord", "coordinator")
    page = client.get("/login")
    response = client.post(
        "/login?next=/registrants/%3Fpage%3D2",
        data={"username": "coord", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.headers["Location"] == "/registrants/?page=2"


def test_session_cookie_flags(client, auth, make_user) -> None:
    make_user("coord", "coordinator")
    response = auth.login("coord", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("password", ["short", ""])
def test_users_need_a_real_password(session, password: str) -> None:
    from itworks.services.accounts import users
    from itworks.services.errors import InvalidInput

    with pytest.raises(InvalidInput) as info:
        users.create_user(session, "newuser", "coordinator", password)
    assert "password" in info.value.errors


def test_the_database_keeps_only_a_digest_of_the_session_cookie(
    app, client, auth, make_user, session
) -> None:
    import hashlib

    import sqlalchemy as sa

    from itworks.models import LoginSession

    make_user("coord", "coordinator")
    auth.login("coord", PASSWORD)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    serializer = app.session_interface.get_signing_serializer(app)
    token = serializer.loads(cookie.value)["_user_id"]
    stored = session.scalars(sa.select(LoginSession.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in stored
    assert client.get("/registrants/").status_code == 200
