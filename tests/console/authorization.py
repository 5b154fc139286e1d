"""The console's authorization, as one table: every route × every role × the unit of what it
acts on (the staff member's own unit, the unit above, a sibling unit).

Why a literal table: ``features.console.web.routes.ROUTES`` and the pages features contribute
(``features.console.web.pages``, the street's) say which *action* a route needs, and
``mediation.staff_permissions.PERMISSIONS`` which roles hold it; what neither says is whose
objects a role may touch. :data:`RULES` says it for every route, and
``tests/console/test_authorization.py`` checks (a) that every route the console mounts has exactly
one rule (a new route without one fails), (b) that the server answers as the rule says for each
role and scope, over real HTTP, and (c) that docs/security.md holds the table
:func:`markdown` generates from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.console.web.core import PUBLIC, SIGNED_IN
from mediation.staff_permissions import Action, Role, can

#: What a route acts on, which decides what "own unit / parent / sibling" means for it.
#: ``none``: nothing of a unit (the signed-in person's own account, a list scoped by the query).
#: ``case``: a case (in the staff member's unit, the unit above, a sibling). Lawyers: only
#: cases they are assigned to, even in their own unit.
#: ``staff``/``lawyer``: an account (a lawyer's account for the lawyer routes).
#: ``rules``: the city-wide risk rules — only an admin of the top unit changes them.
#: ``alert``: an alert (none exists: a permitted request is a 404, a refused one a 403).
#: ``joint``: a street case's joint page: only whoever has a role on it (a task of their post
#: or department, or an admin above the case: the centre); none of these cases has tasks.
TARGETS = ("none", "case", "staff", "lawyer", "rules", "alert", "joint")
SCOPES = ("own", "parent", "sibling")


@dataclass(frozen=True)
class Rule:
    action: str  # the action ROUTES gives the route (checked)
    target: str  # one of TARGETS
    ok: int  # the status of a permitted request with the harmless form
    note: str = ""
    anonymous: int = 0  # a public route's status for an anonymous visitor, if not ``ok``
    refused: int = 403  # the status for a role without the action


R = Rule
A = Action
CASE = "/cases/{case_id}"
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/login"): R(PUBLIC, "none", 303, "signed in: to the console", anonymous=200),
    ("POST", "/login"): R(PUBLIC, "none", 401),
    ("GET", "/login/totp"): R(PUBLIC, "none", 303),
    ("POST", "/login/totp"): R(PUBLIC, "none", 303),
    ("GET", "/static/{name}"): R(PUBLIC, "none", 200),
    ("POST", "/logout"): R(SIGNED_IN, "none", 303),
    ("GET", "/account"): R(SIGNED_IN, "none", 200),
    ("POST", "/account/password"): R(SIGNED_IN, "none", 303),
    ("POST", "/account/totp"): R(SIGNED_IN, "none", 303),
    ("POST", "/account/quiet"): R(SIGNED_IN, "none", 303),
    ("GET", "/"): R(
        A.VIEW_DASHBOARD,
        "none",
        200,
        "figures of the staff member's units; without them, to one's start page (tasks, ledger)",
        refused=303,
    ),
    ("GET", "/cases"): R(A.VIEW_LEDGER, "none", 200, "cases of the staff member's units"),
    ("GET", "/cases/export.csv"): R(A.EXPORT, "none", 200),
    ("GET", "/cases/export.xlsx"): R(A.EXPORT, "none", 200),
    ("GET", CASE): R(A.VIEW_CASE, "case", 200),
    ("POST", CASE + "/reveal"): R(A.REVEAL_PII, "case", 404, "party 0: none such"),
    ("POST", CASE + "/reveal-message"): R(A.REVEAL_PII, "case", 404, "message 0: none such"),
    ("POST", CASE + "/assign"): R(A.ASSIGN, "case", 400),
    ("POST", CASE + "/assign-lawyer"): R(A.ASSIGN, "case", 400),
    ("POST", CASE + "/risk"): R(A.SET_RISK, "case", 400),
    ("POST", CASE + "/escalate"): R(A.ESCALATE, "case", 400),
    ("POST", CASE + "/note"): R(A.ADD_NOTE, "case", 400),
    ("POST", CASE + "/particulars"): R(A.REVEAL_PII, "case", 400, "nothing filled in"),
    ("POST", CASE + "/status"): R(A.CHANGE_STATUS, "case", 400),
    ("POST", CASE + "/payments/correct"): R(A.CHANGE_STATUS, "case", 400, "no reason given"),
    ("GET", CASE + "/documents/{doc_id}"): R(A.DOWNLOAD_DOCUMENTS, "case", 200),
    ("POST", CASE + "/paper-signature"): R(A.SIGN_ON_PAPER, "case", 400, "nothing being signed"),
    ("POST", CASE + "/police"): R(A.POLICE_MEDIATE, "case", 400, "no step given"),
    ("GET", "/street/register"): R(A.REGISTER_CASE, "none", 200),
    ("POST", "/street/register"): R(A.REGISTER_CASE, "none", 400, "an empty form: shown again"),
    ("GET", "/street/registered"): R(A.REGISTER_CASE, "none", 303, "nothing registered: the form"),
    ("GET", "/street/tasks"): R(A.HANDLE_TASKS, "none", 200, "the tasks of one's own posts"),
    ("POST", "/street/tasks/{task_id}"): R(A.HANDLE_TASKS, "none", 400, "only one's own posts'"),
    ("GET", "/street/cases/{case_id}"): R(A.HANDLE_TASKS, "joint", 200, "a role on the case"),
    ("POST", "/street/cases/{case_id}"): R(
        A.HANDLE_TASKS, "none", 400, "no such step; each step checks the role on the case"
    ),
    ("GET", "/street/dispatch"): R(A.ASSIGN, "none", 200, "cases escalated to one's unit"),
    ("POST", "/street/dispatch/{case_id}"): R(
        A.ASSIGN, "none", 303, "no lead chosen; only the holding centre hands over"
    ),
    ("GET", "/street/wall"): R(A.VIEW_DASHBOARD, "none", 200, "figures of one's units"),
    ("GET", "/street/wall.json"): R(A.VIEW_DASHBOARD, "none", 200),
    ("GET", "/alerts"): R(A.VIEW_ALERTS, "none", 200),
    ("POST", "/alerts/{alert_id}/ack"): R(A.VIEW_ALERTS, "alert", 404),
    ("GET", "/rules"): R(A.MANAGE_RULES, "none", 200, "read-only below the top unit"),
    ("POST", "/rules"): R(A.MANAGE_RULES, "rules", 303),
    ("POST", "/rules/{rule_id}"): R(A.MANAGE_RULES, "rules", 303),
    ("GET", "/audit"): R(A.VIEW_AUDIT, "none", 200),
    ("GET", "/users"): R(A.MANAGE_USERS, "none", 200),
    ("GET", "/lawyers"): R(A.MANAGE_USERS, "none", 200),
    ("GET", "/posters"): R(A.VIEW_DASHBOARD, "none", 200),
    ("GET", "/posters.pdf"): R(A.VIEW_DASHBOARD, "none", 404, "no ?unit= given"),
    ("POST", "/lawyers/{staff_id}"): R(A.MANAGE_USERS, "lawyer", 303),
    ("POST", "/users"): R(A.MANAGE_USERS, "none", 303),
    ("POST", "/users/{staff_id}/active"): R(A.MANAGE_USERS, "staff", 303),
    ("POST", "/users/{staff_id}/phone"): R(A.MANAGE_USERS, "staff", 303, "empty: refused"),
}


def expected(rule: Rule, role: Role | None, scope: str, *, root: bool = False) -> int:
    """The status a request must get: ``role`` None is an anonymous visitor."""
    if rule.action == PUBLIC:
        return rule.anonymous if role is None and rule.anonymous else rule.ok
    if role is None:
        return 0  # 303 to the sign-in page for a GET, 401 for a POST: see the test
    if rule.action != SIGNED_IN and not can(role, Action(rule.action)):
        return rule.refused
    if rule.target == "rules":
        return rule.ok if root else 403
    if rule.target == "joint":
        return rule.ok if role is Role.ADMIN and (scope == "own" or root) else 404
    if rule.target in ("case", "staff", "lawyer") and scope != "own":
        return 404
    return rule.ok


def cell(rule: Rule, role: Role) -> str:
    if rule.action == PUBLIC:
        return "public"
    if rule.action != SIGNED_IN and not can(role, Action(rule.action)):
        return "→ start page" if rule.refused == 303 else "—"
    if rule.target == "rules":
        return "top unit only"
    if rule.target == "joint":
        return "own unit and below" if role is Role.ADMIN else "cases with a task"
    if rule.target in ("case", "staff", "lawyer"):
        own = "assigned cases" if role is Role.LAWYER and rule.target == "case" else "own unit"
        return f"{own} and below"
    return "✓"


def markdown() -> str:
    """The table docs/security.md shows (generated; the test keeps the document true)."""
    roles = list(Role)
    head = "| Route | Action | " + " | ".join(r.value for r in roles) + " |"
    sep = "|---|---|" + "---|" * len(roles)
    rows = [
        f"| `{m} /staff{p}` | {rule.action} | " + " | ".join(cell(rule, r) for r in roles) + " |"
        for (m, p), rule in RULES.items()
    ]
    return "\n".join([head, sep, *rows])


if __name__ == "__main__":
    print(markdown())
