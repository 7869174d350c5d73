"""Concurrent posts of the same people, through gunicorn, end as one registrant each,
and no request fails (SQLite: WAL, busy timeout, IMMEDIATE writers and retries)."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from testsupport import Server, person

PEOPLE = 50
POSTS = 200


def variants(n: int) -> list[dict]:
    base = person(n, email=f"person{n}@example.jp", phone=f"080-5555-{n:04d}")
    return [
        base,
        {**base, "email": base["email"].upper()},
        {**base, "email": f"other{n}@example.jp", "phone": f"+81 80 5555 {n:04d}"},
        {**base, "utm": {"source": "facebook", "medium": "social", "campaign": "sns"}},
    ]


def post(url: str, token: str, body: dict) -> tuple[int, str]:
    request = urllib.request.Request(
        url + "/api/v1/registrations",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, json.loads(reply.read())["id"]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def test_200_concurrent_posts_of_50_people_make_50_registrants(
    app, instance, database_url, make_token, session
) -> None:
    from itworks.models import Registrant, RegistrantIdentifier

    token = make_token("website", "intake")
    bodies = [b for n in range(1, PEOPLE + 1) for b in variants(n)]
    random.Random(7).shuffle(bodies)
    assert len(bodies) == POSTS
    with Server(instance, database_url) as server, ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(lambda body: post(server.url, token, body), bodies))
    statuses = [status for status, _ in results]
    assert sorted(set(statuses)) == [200, 201], [r for r in results if r[0] not in (200, 201)]
    assert statuses.count(201) == PEOPLE
    assert len({public_id for _, public_id in results}) == PEOPLE
    assert session.scalar(sa.select(sa.func.count(Registrant.id))) == PEOPLE
    per_person = session.execute(
        sa.select(RegistrantIdentifier.kind, sa.func.count()).group_by(RegistrantIdentifier.kind)
    ).all()
    assert dict(per_person) == {"email": PEOPLE, "phone": PEOPLE}
