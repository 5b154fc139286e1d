"""Accounts over HTTP on SQLite and PostgreSQL: TOTP, password change, deactivation, creation."""

from __future__ import annotations

import re

import pyotp
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from tests.console.conftest import PASSWORD, World, console_app, csrf_of, login

Client = TestClient[web.Request, web.Application]


async def _post(client: Client, path: str, **data: str) -> ClientResponse:
    token = await csrf_of(client, "/staff/account" if not path.startswith("/staff/login") else path)
    resp = await client.post(path, data={"_csrf": token, **data}, allow_redirects=False)
    await resp.read()
    return resp


async def test_totp_enrol_then_required_and_not_replayable(world: World) -> None:
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "med_c1")
        await _post(client, "/staff/account/totp", step="begin")
        page = await (await client.get("/staff/account")).text()
        secret_match = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page)
        assert secret_match and "<svg" in page  # the QR code, drawn on the server
        secret = secret_match.group(1)
        totp = pyotp.TOTP(secret)
        resp = await _post(client, "/staff/account/totp", step="confirm", code="000000")
        assert "动态验证码不正确" in await (await client.get("/staff/account")).text()
        resp = await _post(
            client, "/staff/account/totp", step="confirm", code=totp.at(world.clock.now())
        )
        assert resp.status == 303
        assert "已开启" in await (await client.get("/staff/account")).text()
    world.clock.advance(seconds=30)
    async with TestClient(TestServer(console_app(world))) as client:
        token = await csrf_of(client)
        resp = await client.post(
            "/staff/login",
            data={"_csrf": token, "username": "med_c1", "password": PASSWORD},
            allow_redirects=False,
        )
        assert resp.headers["Location"] == "/staff/login/totp"
        # Password alone is not a session.
        assert (await client.get("/staff/cases", allow_redirects=False)).status == 303
        token = await csrf_of(client, "/staff/login/totp")
        resp = await client.post(
            "/staff/login/totp", data={"_csrf": token, "code": "123456"}, allow_redirects=False
        )
        assert resp.status == 401
        code = totp.at(world.clock.now())
        resp = await client.post(
            "/staff/login/totp", data={"_csrf": token, "code": code}, allow_redirects=False
        )
        assert resp.status == 303
        assert (await client.get("/staff/cases", allow_redirects=False)).status == 200
    # The same code cannot be used twice.
    async with TestClient(TestServer(console_app(world))) as client:
        token = await csrf_of(client)
        await client.post(
            "/staff/login", data={"_csrf": token, "username": "med_c1", "password": PASSWORD}
        )
        token = await csrf_of(client, "/staff/login/totp")
        resp = await client.post(
            "/staff/login/totp", data={"_csrf": token, "code": code}, allow_redirects=False
        )
        assert resp.status == 401 and "已使用过" in await resp.text()


async def test_password_change_and_deactivation_end_sessions(world: World) -> None:
    async with (
        TestClient(TestServer(console_app(world))) as a,
        TestClient(TestServer(console_app(world))) as b,
    ):
        await login(a, "med_c1")
        await login(b, "med_c1")
        resp = await _post(a, "/staff/account/password", current="wrong", new="new-password-123")
        assert (await a.get("/staff/account")).status == 200  # still signed in
        resp = await _post(a, "/staff/account/password", current=PASSWORD, new="new-password-123")
        assert resp.status == 303 and resp.headers["Location"] == "/staff/login"
        assert (await b.get("/staff/cases", allow_redirects=False)).status == 303
        await login(b, "med_c1", "new-password-123")
        # An admin deactivates the account: its open session ends at once.
        async with TestClient(TestServer(console_app(world))) as admin:
            await login(admin, "admin_c1")
            resp = await _post(admin, f"/staff/users/{world.staff['med_c1']}/active", active="0")
            assert resp.status == 303
        assert (await b.get("/staff/cases", allow_redirects=False)).status == 303
        token = await csrf_of(b)
        resp = await b.post(
            "/staff/login",
            data={"_csrf": token, "username": "med_c1", "password": "new-password-123"},
        )
        assert resp.status == 401


async def test_admins_create_accounts_only_in_their_units(world: World) -> None:
    async with TestClient(TestServer(console_app(world))) as admin:
        await login(admin, "admin_c1")
        resp = await _post(
            admin,
            "/staff/users",
            username="new_mediator",
            display_name="新调解员",
            role="mediator",
            unit="yjp_c1",
            password="a-long-password",
        )
        assert resp.status == 303
        page = await (await admin.get("/staff/users")).text()
        assert "账号已创建" in page and "new_mediator" in page and "admin_city" not in page
        await _post(
            admin,
            "/staff/users",
            username="sneaky",
            display_name="越权",
            role="admin",
            unit="cq",
            password="a-long-password",
        )
        page = await (await admin.get("/staff/users")).text()
        assert "只能在您管辖的单位内创建账号" in page and "sneaky" not in page
    async with TestClient(TestServer(console_app(world))) as fresh:
        await login(fresh, "new_mediator", "a-long-password")
        assert (await fresh.get("/staff/cases")).status == 200


async def test_language_toggle_is_remembered(client: Client) -> None:
    assert "工作人员登录" in await (await client.get("/staff/login")).text()
    assert "Staff sign-in" in await (await client.get("/staff/login?lang=en")).text()
    assert "Staff sign-in" in await (await client.get("/staff/login")).text()
    await login(client, "med_c1")  # a new session keeps the chosen language
    assert "Case ledger" in await (await client.get("/staff/cases")).text()
    assert "电子台账" in await (await client.get("/staff/cases?lang=zh-CN")).text()


async def test_setup_mounts_the_console_as_a_web_module(world: World) -> None:
    from features.console.web import setup
    from web.app import create_app

    app = create_app(world.runtime)
    setup(app, world.runtime)  # what web.app does for each entry of WEB_MODULES
    async with TestClient(TestServer(app)) as client:
        resp = await client.get("/staff", allow_redirects=False)
        assert resp.status == 302 and resp.headers["Location"] == "/staff/"
        resp = await client.get("/staff/", allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"].startswith("/staff/login")
        assert (await client.get("/healthz")).status == 200


async def test_old_attempts_and_ended_sessions_are_pruned(world: World) -> None:
    from sqlalchemy import func, select

    from features.console.auth import AuthService
    from features.console.models import ConsoleSession, LoginAttempt

    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "med_c1")
    auth = AuthService(world.runtime.db, world.clock)
    await auth.login("med_c1", "wrong", "10.0.0.9", "test")
    assert await auth.prune() == 0  # nothing old yet
    world.clock.advance(days=3)
    assert await auth.prune() == 3  # two attempts and one expired session
    async with world.runtime.db.read() as s:
        for model in (LoginAttempt, ConsoleSession):
            assert (await s.execute(select(func.count()).select_from(model))).scalar_one() == 0


async def test_own_quiet_hours_as_people_type_them(world: World) -> None:
    """A night-shift officer turns quiet hours off, a mediator types "22：00至7:00" with a
    full-width colon; "晚上十点" is refused with what to type; empty goes back to the default."""
    async with TestClient(TestServer(console_app(world))) as client:
        await login(client, "med_c1")
        page = await (await client.get("/staff/account")).text()
        assert "当前：使用默认时段 22:00-08:00" in page
        await _post(client, "/staff/account/quiet", quiet_hours="22：00至7:00")
        page = await (await client.get("/staff/account")).text()
        assert "免打扰时段已保存" in page and "当前：22:00-07:00" in page
        await _post(client, "/staff/account/quiet", quiet_hours="晚上十点")
        page = await (await client.get("/staff/account")).text()
        assert "格式不对：请填写如 22:00-07:00" in page and "当前：22:00-07:00" in page
        await _post(client, "/staff/account/quiet", quiet_hours="关闭")
        assert "当前：已关闭，随时提醒" in await (await client.get("/staff/account")).text()
        await _post(client, "/staff/account/quiet", quiet_hours="")
        assert "当前：使用默认时段" in await (await client.get("/staff/account")).text()


async def test_admins_register_a_staff_members_own_phone_for_the_browser_chat(
    world: World,
) -> None:
    """The number logging in to the browser chat as this staff member (issue 24): typed as
    people type it, refused when it is no number or another account's, removed by "无"; only
    for the accounts of the admin's own units."""
    from sqlalchemy import select

    from storage.models import StaffAccount

    async def phone_of(username: str) -> tuple[str | None, str | None]:
        async with world.runtime.db.read() as session:
            account = (
                await session.execute(select(StaffAccount).where(StaffAccount.username == username))
            ).scalar_one()
            return account.phone, account.phone_hash

    async with TestClient(TestServer(console_app(world))) as admin:
        await login(admin, "admin_c1")
        med = world.staff["med_c1"]
        await _post(admin, f"/staff/users/{med}/phone", phone="137 0000 7001")
        page = await (await admin.get("/staff/users")).text()
        assert "账号已更新" in page and "137****7001" in page
        assert (await phone_of("med_c1"))[0] == "13700007001"
        for typed, refusal in (
            ("", "手机号格式不对"),
            ("大概四千八", "手机号格式不对"),
        ):
            await _post(admin, f"/staff/users/{med}/phone", phone=typed)
            assert refusal in await (await admin.get("/staff/users")).text()
        assert (await phone_of("med_c1"))[0] == "13700007001"
        other = world.staff["admin_c1"]
        await _post(admin, f"/staff/users/{other}/phone", phone="+86 13700007001")
        assert "已登记给另一个账号" in await (await admin.get("/staff/users")).text()
        await _post(admin, f"/staff/users/{med}/phone", phone="无")
        assert await phone_of("med_c1") == (None, None)
        # The street's account, above the admin's unit: as if it did not exist.
        resp = await _post(
            admin, f"/staff/users/{world.staff['med_street']}/phone", phone="13700007002"
        )
        assert resp.status == 404 and await phone_of("med_street") == (None, None)
