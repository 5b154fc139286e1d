"""Security of the console over real HTTP, on SQLite and PostgreSQL.

* every role × every route × every unit scope: tests/console/test_authorization.py;
* a POST without the session's CSRF token, or with a forged one, is refused (403);
* session fixation: the cookie changes at sign-in and the pre-sign-in cookie is worthless;
  signing out revokes the session on the server, so a copied cookie stops working;
* personal data in full (phone, ID number) never reaches the HTML of a role that may not see it;
* password guessing is limited per username and per address, in the database.
"""

from __future__ import annotations

import dataclasses

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, text

from features.console.models import AuditEntry, LoginAttempt
from features.console.web import COOKIE_NAME
from storage.models import CaseEvent
from tests.console.conftest import (
    APPLICANT_PHONE,
    ID_NUMBER,
    PASSWORD,
    RESPONDENT_PHONE,
    World,
    add_case,
    assign_lawyer,
    console_app,
    csrf_of,
    login,
)

Client = TestClient[web.Request, web.Application]


def concrete(path: str, ids: dict[str, object]) -> str:
    for key, value in ids.items():
        path = path.replace("{" + key + r":\d+}", str(value)).replace("{" + key + "}", str(value))
    return "/staff" + path


async def test_csrf_missing_or_forged_is_refused(client: Client, world: World) -> None:
    # Even the sign-in form needs the token (no login CSRF).
    resp = await client.post("/staff/login", data={"username": "med_c1", "password": PASSWORD})
    assert resp.status == 403
    assert "安全校验" in await resp.text()
    resp = await client.post(
        "/staff/login", data={"username": "med_c1", "password": PASSWORD, "_csrf": "forged"}
    )
    assert resp.status == 403
    token = await login(client, "med_c1")
    note = f"/staff/cases/{world.cases['wage']}/note"
    for data in ({"text": "无令牌"}, {"text": "伪造令牌", "_csrf": token[:-2] + "xx"}):
        resp = await client.post(note, data=data, allow_redirects=False)
        assert resp.status == 403
    # A token from another session does not work either.
    async with TestClient(TestServer(console_app(world))) as other:
        other_token = await login(other, "admin_c1")
    resp = await client.post(note, data={"text": "别人的令牌", "_csrf": other_token})
    assert resp.status == 403
    # The right token, in the form or the header, does.
    resp = await client.post(note, data={"text": "正确令牌", "_csrf": token}, allow_redirects=False)
    assert resp.status == 303
    resp = await client.post(
        note, data={"text": "请求头令牌"}, headers={"X-CSRF-Token": token}, allow_redirects=False
    )
    assert resp.status == 303
    async with world.runtime.db.read() as s:
        notes = list(
            (await s.execute(select(CaseEvent.data).where(CaseEvent.kind == "note"))).scalars()
        )
    assert [n["text"] for n in notes] == ["正确令牌", "请求头令牌"]


def _cookie(client: Client) -> str:
    for cookie in client.session.cookie_jar:
        if cookie.key == COOKIE_NAME:
            return cookie.value
    raise AssertionError("no session cookie")


async def test_session_fixation_is_impossible_and_logout_revokes(world: World) -> None:
    app = console_app(world)
    async with TestClient(TestServer(app)) as client:
        await csrf_of(client)
        before = _cookie(client)
        await login(client, "med_c1")
        after = _cookie(client)
        assert before != after
        # The cookie from before sign-in (planted or stolen) grants nothing.
        async with TestClient(TestServer(console_app(world))) as attacker:
            attacker.session.cookie_jar.update_cookies({COOKIE_NAME: before})
            resp = await attacker.get("/staff/cases", allow_redirects=False)
            assert resp.status == 303 and "/staff/login" in resp.headers["Location"]
            # The signed-in cookie works … until its owner signs out.
            attacker.session.cookie_jar.update_cookies({COOKIE_NAME: after})
            assert (await attacker.get("/staff/cases", allow_redirects=False)).status == 200
            token = await csrf_of(client, "/staff/account")
            resp = await client.post("/staff/logout", data={"_csrf": token}, allow_redirects=False)
            assert resp.status == 303
            resp = await attacker.get("/staff/cases", allow_redirects=False)
            assert resp.status == 303, "a copied cookie must stop working after sign-out"
        # Signing in again gives yet another session.
        await login(client, "med_c1")
        assert _cookie(client) not in (before, after)


async def test_open_redirect_after_login_is_refused(client: Client) -> None:
    token = await csrf_of(client)
    resp = await client.post(
        "/staff/login",
        data={
            "_csrf": token,
            "username": "med_c1",
            "password": PASSWORD,
            "next": "//evil.example/",
        },
        allow_redirects=False,
    )
    assert resp.status == 303 and resp.headers["Location"] == "/staff/"


async def _page(client: Client, path: str) -> str:
    resp = await client.get(path)
    assert resp.status == 200, path
    return await resp.text()


async def test_personal_data_never_in_html_for_roles_that_may_not_see_it(world: World) -> None:
    chatty = await add_case(
        world, "yjp_c1", 3001, facts="对方电话13911112222，他身份证是" + ID_NUMBER + "，打了我。"
    )
    secrets_ = (APPLICANT_PHONE, RESPONDENT_PHONE, ID_NUMBER, "13911112222")
    for case_id in (world.cases["wage"], chatty):
        await assign_lawyer(world, case_id)
    for username in ("viewer_c1", "lawyer_c1"):
        async with TestClient(TestServer(console_app(world))) as client:
            token = await login(client, username)
            pages = [
                await _page(client, "/staff/cases"),
                await _page(client, f"/staff/cases/{world.cases['wage']}"),
                await _page(client, f"/staff/cases/{chatty}"),
            ]
            # Searching by a phone number finds the case; the page echoes only what was typed.
            found = await _page(client, f"/staff/cases?q={APPLICANT_PHONE}")
            assert "共 2 件" in found and "138****5678" in found  # wage + chatty
            assert RESPONDENT_PHONE not in found and ID_NUMBER not in found
            resp = await client.post(
                f"/staff/cases/{world.cases['wage']}/reveal",
                data={"_csrf": token, "party": "1", "field": "phone"},
            )
            assert resp.status == 403
            pages.append(await resp.text())
            for html in pages:
                for secret in secrets_:
                    assert secret not in html, (username, secret)
            assert "138****5678" in pages[1]
            if username == "viewer_c1":
                assert "张三" not in pages[0] + pages[1] and "张*" in pages[1]
            else:
                assert "张三" in pages[1]  # lawyers see names, not contact data
    # A mediator may see it, one field per logged request.
    async with TestClient(TestServer(console_app(world))) as client:
        token = await login(client, "med_c1")
        case_html = await _page(client, f"/staff/cases/{world.cases['wage']}")
        assert APPLICANT_PHONE not in case_html
        resp = await client.post(
            f"/staff/cases/{world.cases['wage']}/reveal",
            data={"_csrf": token, "party": "1", "field": "id_number"},
        )
        html = await resp.text()
        assert resp.status == 200 and ID_NUMBER in html and APPLICANT_PHONE not in html
    async with world.runtime.db.read() as s:
        reveals = list(
            (await s.execute(select(AuditEntry).where(AuditEntry.action == "reveal"))).scalars()
        )
    assert [(r.actor, r.target) for r in reveals] == [("med_c1", "party:1:id_number")]


async def _try(client: Client, username: str, password: str, via: str | None = None) -> int:
    """A sign-in attempt; ``via``: the client address a trusted proxy names."""
    headers = {"X-Forwarded-For": via} if via else {}
    token = await csrf_of(client)
    resp = await client.post(
        "/staff/login",
        data={"_csrf": token, "username": username, "password": password},
        headers=headers,
        allow_redirects=False,
    )
    await resp.read()
    return resp.status


def _behind_proxy(world: World, proxies: tuple[str, ...] = ("127.0.0.1/32",)) -> None:
    world.runtime.settings = dataclasses.replace(world.runtime.settings, trusted_proxies=proxies)


ATTACKER, OWNER, OTHER = "203.0.113.7", "198.51.100.20", "192.0.2.44"


async def test_password_guessing_backs_off_per_address_and_locks_nobody_out(
    world: World,
) -> None:
    """Issue 21 #2: five wrong passwords from anywhere locked the username everywhere, and
    behind the proxy every client counted as the proxy. Now the guesser's address backs off
    (30 s, doubling, at most 15 min) and the owner, elsewhere, signs in."""
    _behind_proxy(world)
    async with TestClient(TestServer(console_app(world))) as client:
        for _ in range(5):
            assert await _try(client, "med_c1", "wrong-password", ATTACKER) == 401
        # The guesser waits, even with the right password…
        assert await _try(client, "med_c1", PASSWORD, ATTACKER) == 429
    # …and the owner, at another address behind the same proxy, is not locked out.
    async with TestClient(TestServer(console_app(world))) as client:
        assert await _try(client, "med_c1", PASSWORD, OWNER) == 303
    # The backoff lives in the database (a restarted service still refuses) and doubles.
    async with TestClient(TestServer(console_app(world))) as client:
        assert await _try(client, "med_c1", PASSWORD, ATTACKER) == 429
        world.clock.advance(seconds=31)
        assert await _try(client, "med_c1", "wrong-again", ATTACKER) == 401
        world.clock.advance(seconds=31)
        assert await _try(client, "med_c1", "wrong-again", ATTACKER) == 429  # now 60 s
        world.clock.advance(seconds=30)
        assert await _try(client, "med_c1", "wrong-again", ATTACKER) == 401
        page = await (await client.get("/staff/login")).text()
        assert "分钟后再试" not in page  # the refusal said how long; a fresh page says nothing
    # One address guessing across many usernames backs off too; other addresses do not.
    async with TestClient(TestServer(console_app(world))) as client:
        for i in range(20):
            assert await _try(client, f"ghost{i}", "guess", OTHER) == 401
        assert await _try(client, "viewer_c1", PASSWORD, OTHER) == 429
    async with TestClient(TestServer(console_app(world))) as client:
        assert await _try(client, "viewer_c1", PASSWORD, OWNER) == 303
    world.clock.advance(minutes=16)
    async with TestClient(TestServer(console_app(world))) as client:
        assert await _try(client, "med_c1", PASSWORD, ATTACKER) == 303  # the window has passed
    async with world.runtime.db.read() as s:
        actions = set((await s.execute(select(AuditEntry.action))).scalars())
        ips = set((await s.execute(select(LoginAttempt.ip))).scalars())
    assert {"login_failed", "login_locked", "login"} <= actions
    assert ips == {ATTACKER, OWNER, OTHER}  # the clients, not the proxy


async def test_a_forwarding_header_from_an_untrusted_peer_is_ignored(world: World) -> None:
    """Without TRUSTED_PROXIES (or from a peer not in it) X-Forwarded-For names nothing: a
    guesser cannot dodge the backoff by inventing addresses."""
    for proxies in ((), ("10.0.0.0/8",)):
        _behind_proxy(world, proxies)
        async with TestClient(TestServer(console_app(world))) as client:
            for i in range(5):
                assert await _try(client, "med_c2x", "wrong", f"203.0.113.{i}") == 401
            assert await _try(client, "med_c2x", "wrong", "203.0.113.99") == 429
        world.clock.advance(minutes=16)


async def test_audit_log_is_append_only(world: World, client: Client) -> None:
    await login(client, "med_c1")
    db = world.runtime.db
    for statement in ("UPDATE console_audit_log SET actor = 'x'", "DELETE FROM console_audit_log"):
        try:
            async with db.write() as s:
                await s.execute(text(statement))
        except Exception as exc:  # IntegrityError on SQLite, InternalError/RaiseError on PG
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{statement} was allowed")
    async with db.read() as s:
        assert (await s.execute(select(func.count()).select_from(AuditEntry))).scalar_one() == 1


async def test_security_headers(client: Client) -> None:
    resp = await client.get("/staff/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Cache-Control"] == "no-store"
    cookie = resp.cookies[COOKIE_NAME]
    assert cookie["httponly"] and cookie["path"] == "/staff" and cookie["samesite"] == "Lax"


async def test_admin_registers_a_lawyer_in_the_console(client: Client, world: World) -> None:
    """The lawyer registry (issue 6): an admin fills in a lawyer's profile; bad input is
    explained, not stored."""
    from features.lawyers.profiles import entry_of_staff

    token = await login(client, "admin_c1")
    page = await client.get("/staff/lawyers")
    assert page.status == 200 and "陈律师" in await page.text()
    lawyer_id = world.staff["lawyer_c1"]
    form = {"_csrf": token, "firm": "某某律师事务所", "specialties": "labour_wages"}
    bad = await client.post(f"/staff/lawyers/{lawyer_id}", data={**form, "licence_no": "x"})
    assert bad.status == 200 and "执业证" in await bad.text()
    async with world.runtime.db.read() as session:
        assert await entry_of_staff(session, lawyer_id) is None  # nothing half-stored
    good = [
        ("_csrf", token),
        ("firm", "某某律师事务所"),
        ("licence_no", "11101201810000009"),
        ("specialties", "labour_wages"),
        ("specialties", "neighbour"),
        ("availability", "mon-fri 09:00-18:00"),
        ("rota", "sat 09:00-12:00"),
        ("max_open_cases", "4"),
        ("paused", "1"),
    ]
    ok = await client.post(f"/staff/lawyers/{lawyer_id}", data=good)
    assert ok.status == 200 and "已保存" in await ok.text()
    async with world.runtime.db.read() as session:
        entry = await entry_of_staff(session, lawyer_id)
    assert entry is not None
    assert entry.profile.specialties == ["labour_wages", "neighbour"]
    assert entry.profile.max_open_cases == 4 and entry.profile.paused


async def test_phones_typed_in_the_room_are_masked_for_every_role(world: World) -> None:
    """Issue 21: a phone number a party typed in the room reached staff whole on the case
    page. Free text is scrubbed for every role (a mediator reveals a party's phone through
    the logged reveal, not by reading the record)."""
    from storage.models import CaseMember, CaseMessage, CaseParty

    case_id = world.cases["wage"]
    typed = ("13912345678", "139.8765.4321", "1 3 7 1 1 1 2 2 2 3 3")
    async with world.runtime.db.write() as s:
        party = (
            (await s.execute(select(CaseParty).where(CaseParty.case_id == case_id)))
            .scalars()
            .first()
        )
        assert party is not None
        member = CaseMember(case_id=case_id, role="applicant", party_id=party.id)
        s.add(member)
        await s.flush()
        for i, phone in enumerate(typed):
            s.add(
                CaseMessage(
                    case_id=case_id,
                    author_member_id=member.id,
                    kind="text",
                    text=f"第{i}条：打我电话 {phone}",
                    created_at=world.clock.now(),
                )
            )
    await assign_lawyer(world, case_id)
    for username in ("med_c1", "admin_city", "police_ps", "lawyer_c1", "viewer_c1"):
        async with TestClient(TestServer(console_app(world))) as client:
            await login(client, username)
            resp = await client.get(f"/staff/cases/{case_id}")
            if username == "police_ps":  # sees only its station's cases
                assert resp.status == 404
                continue
            html = await resp.text()
            assert "打我电话" in html, username
            for phone in typed:
                digits = "".join(c for c in phone if c.isdigit())
                assert phone not in html and digits[3:9] not in html, (username, phone)
