"""Issue 21 #4 and #5, and the authorization table: every console route × every role × the
unit of what it acts on, over real HTTP on SQLite and PostgreSQL (see tests/console/
authorization.py for the table and what each column means).

The attacks it replays: a committee admin rewriting the city-wide risk rules (#4); a viewer
downloading full documents, and a lawyer reading cases of the unit they were never assigned
to (#5).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from app.features import load as load_features
from features.agreements.common import AGREEMENT
from features.agreements.store import AgreementDocumentStore
from features.console.models import RiskRuleRow
from features.console.web.core import PUBLIC
from features.console.web.routes import every_route
from mediation.staff_permissions import Role
from services.staff import create_staff
from storage.document_models import Document
from storage.models import StaffAccount
from tests.console.authorization import RULES, SCOPES, expected, markdown
from tests.console.conftest import (
    PASSWORD,
    ROLE_USER,
    World,
    add_case,
    console_app,
    csrf_of,
    login,
)

Client = TestClient[web.Request, web.Application]
#: The console's routes and the pages features contribute (the street's), as the console mounts them.
ROUTES = every_route(load_features().console_pages)
ROOT = Path(__file__).resolve().parents[2]

#: Form data that reaches each POST handler without changing anything the next request needs.
HARMLESS_FORMS: dict[str, dict[str, str]] = {
    "/login": {"username": "nobody", "password": "x"},
    "/login/totp": {"code": "000000"},
    "/account/password": {"current": "wrong-password", "new": "short"},
    "/account/totp": {"step": "none"},
    "/cases/{case_id}/reveal": {"party": "0", "field": "phone"},
    "/cases/{case_id}/assign": {"mediator": "999999"},
    "/cases/{case_id}/assign-lawyer": {"lawyer": "999999"},
    "/cases/{case_id}/risk": {"level": "bogus", "reason": "x"},
    "/cases/{case_id}/escalate": {"reason": ""},
    "/cases/{case_id}/note": {"text": ""},
    "/cases/{case_id}/status": {"event": "bogus"},
    "/rules": {},
    "/rules/{rule_id}": {"level": "bogus"},
    "/users": {"username": "x"},
    "/users/{staff_id}/active": {"active": "1"},
    "/street/register": {},
    "/street/tasks/{task_id}": {"do": "bogus"},
    "/street/cases/{case_id}": {"do": "bogus"},
    "/street/dispatch/{case_id}": {},
}


def _plain(path: str) -> str:
    return path.replace(r":\d+", "")


def test_every_route_has_exactly_one_rule() -> None:
    """A new console route without a rule here fails (and so does a rule without a route)."""
    routes = {(r.method, _plain(r.path)): r.action for r in ROUTES}
    assert set(routes) == set(RULES), "add the new route to tests/console/authorization.py"
    for key, action in routes.items():
        assert RULES[key].action == action, (key, action, RULES[key].action)


def test_docs_security_holds_the_generated_table() -> None:
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert markdown() in doc, "regenerate with: python -m tests.console.authorization"


async def _staff(world: World, username: str, role: str, unit: str) -> int:
    error = await create_staff(
        world.runtime.db,
        username=username,
        password=PASSWORD,
        role=role,
        unit_code=unit,
        display_name=username,
        known_units=set(world.runtime.units.by_code),
    )
    assert error is None, error
    async with world.runtime.db.read() as s:
        found = await s.execute(select(StaffAccount.id).where(StaffAccount.username == username))
        return int(found.scalar_one())


async def _document(world: World, case_id: int) -> str:
    public_id = f"doc{case_id}"
    key = f"documents/{case_id}/agreement.pdf"
    await world.runtime.files.put(key, b"%PDF-1.7\n% full names and ID numbers\n")
    async with world.runtime.db.write() as s:
        s.add(
            Document(
                public_id=public_id,
                case_id=case_id,
                kind=AGREEMENT,
                status="effective",
                content={"parties": [{"name": "张三"}]},
                sha256="0" * 64,
                pdf_sha256="1" * 64,
                verify_key_digest=hashlib.sha256(b"k").hexdigest(),
                created_by="test",
                file_path=key,
                render_status="done",
            )
        )
    return public_id


async def _request(
    client: Client, method: str, path: str, csrf: str | None, form: dict[str, str]
) -> int:
    if method == "GET":
        resp = await client.get(path, allow_redirects=False)
    else:
        data = {**form, **({"_csrf": csrf} if csrf else {})}
        resp = await client.post(path, data=data, allow_redirects=False)
    await resp.read()
    return resp.status


def _concrete(path: str, ids: dict[str, object]) -> str:
    for key, value in ids.items():
        path = path.replace("{" + key + r":\d+}", str(value)).replace("{" + key + "}", str(value))
    return "/staff" + path


async def test_every_route_every_role_every_scope(world: World) -> None:
    db = world.runtime.db
    documents = AgreementDocumentStore(db, world.runtime.files, world.clock)

    def app() -> web.Application:
        return console_app(world, documents=documents)

    street_case = await add_case(world, "yjp", 2101, name="钱八", phone="13300004444")
    police_case = await add_case(world, "yjp_ps", 2102, name="孙九", phone="13300005555")
    sibling_case = world.cases["other_committee"]
    staff = {
        "own": world.staff["med_c1"],
        "parent": world.staff["med_street"],
        "sibling": await _staff(world, "med_c2", "mediator", "yjp_c2"),
    }
    lawyers = {
        "own": world.staff["lawyer_c1"],
        "parent": await _staff(world, "lawyer_street", "lawyer", "yjp"),
        "sibling": await _staff(world, "lawyer_c2", "lawyer", "yjp_c2"),
    }
    # lawyer_c1 is assigned to the wage case (through the console, as an admin would), not
    # to the neighbour case of the same unit.
    async with TestClient(TestServer(app())) as admin:
        token = await login(admin, "admin_city")
        resp = await admin.post(
            f"/staff/cases/{world.cases['wage']}/assign-lawyer",
            data={"_csrf": token, "lawyer": str(lawyers["own"])},
            allow_redirects=False,
        )
        assert resp.status == 303, await resp.text()
    async with db.read() as s:
        rule_id = (await s.execute(select(RiskRuleRow.id).limit(1))).scalar_one_or_none()
    assert rule_id is not None
    cases = {
        "own": world.cases["wage"],
        "parent": street_case,
        "sibling": sibling_case,
    }
    docs = {c: await _document(world, c) for c in {*cases.values(), police_case}}
    docs[world.cases["neighbour"]] = await _document(world, world.cases["neighbour"])

    ordered = sorted(ROUTES, key=lambda r: r.path == "/logout")  # sign out last
    actors: list[tuple[Role | None, str | None, bool]] = [
        (None, None, False),
        *((role, ROLE_USER[role.value], False) for role in Role),
        (Role.ADMIN, "admin_city", True),
    ]
    checked = 0
    for role, username, root in actors:
        for scope in SCOPES if role is not None else ("own",):
            async with TestClient(TestServer(app())) as client:
                csrf = await login(client, username) if username else await csrf_of(client)
                case_id = cases[scope]
                if role is Role.POLICE and scope == "own":
                    case_id = police_case
                ids = {
                    "case_id": case_id,
                    "doc_id": docs[case_id],
                    "alert_id": 999999,
                    "task_id": 999999,
                    "rule_id": rule_id,
                    "staff_id": staff[scope],
                    "name": "console.css",
                }
                for route in ordered:
                    key = (route.method, _plain(route.path))
                    rule = RULES[key]
                    if scope != "own" and rule.target not in ("case", "staff", "lawyer"):
                        continue
                    if rule.target == "lawyer":
                        ids["staff_id"] = lawyers[scope]
                    elif rule.target == "staff":
                        ids["staff_id"] = staff[scope]
                    form = dict(HARMLESS_FORMS.get(_plain(route.path), {}))
                    if key == ("POST", "/login"):
                        form["username"] = f"nobody_{role}_{scope}"
                    path = _concrete(route.path, ids)
                    status = await _request(client, route.method, path, csrf, form)
                    where = f"{username or 'anonymous'} ({scope}) {route.method} {path}"
                    want = expected(rule, role, scope, root=root)
                    if role is None and rule.action != PUBLIC:
                        want = 303 if route.method == "GET" else 401
                    if root and rule.target in ("case", "staff", "lawyer"):
                        want = expected(rule, role, "own", root=True)  # sees every unit
                    assert status == want, where
                    checked += 1
            # A lawyer's own unit, but a case they were not assigned to: nothing.
            if role is Role.LAWYER and scope == "own":
                async with TestClient(TestServer(app())) as client:
                    await login(client, username or "")
                    other = world.cases["neighbour"]
                    for path in (
                        f"/staff/cases/{other}",
                        f"/staff/cases/{other}/documents/{docs[other]}",
                    ):
                        assert (await client.get(path)).status == 404, path
                    ledger = await (await client.get("/staff/cases")).text()
                    assert "共 1 件" in ledger, ledger[-2000:]
    assert checked > len(ROUTES) * 6


async def test_a_committee_admin_cannot_change_the_city_rules(world: World) -> None:
    """#4: a sibling unit's admin disabled the city's self-harm rule."""
    async with TestClient(TestServer(console_app(world))) as client:
        token = await login(client, "admin_c1")  # the console has seeded the default rules
        async with world.runtime.db.read() as s:
            rule = (
                await s.execute(select(RiskRuleRow).where(RiskRuleRow.enabled.is_(True)).limit(1))
            ).scalar_one()
        page = await (await client.get("/staff/rules")).text()
        assert 'data-testid="rules-read-only"' in page and f"/staff/rules/{rule.id}" not in page
        form: dict[str, Any] = {"_csrf": token, "level": rule.level, "name": "off"}
        form["keywords"] = "、".join(rule.keywords) or "x"
        resp = await client.post(f"/staff/rules/{rule.id}", data=form, allow_redirects=False)
        assert resp.status == 403
    async with world.runtime.db.read() as s:
        again = await s.get(RiskRuleRow, rule.id)
        assert again is not None and again.enabled and again.updated_by == rule.updated_by
