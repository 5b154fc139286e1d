"""Who on the staff may do what, and which cases they may see.

Why a table: the console checks one question per request — may this role do this action? — and
the security tests walk every role against every route. Keeping the answer in one literal
matrix makes both the code and a review of it short. Visibility is the second half: a member
of staff sees the cases of their own unit and of every unit below it (a street office sees its
committees' cases; a committee does not see its neighbour's).
"""

from __future__ import annotations

from enum import StrEnum

from mediation.units import UnitDirectory


class Role(StrEnum):
    ADMIN = "admin"  # 管理员
    MEDIATOR = "mediator"  # 调解员
    POLICE = "police"  # 民警
    LAWYER = "lawyer"  # 律师
    VIEWER = "viewer"  # 只读（统计、督导）
    #: 网格员: meets disputes on the street and registers them for the people involved; works
    #: the tasks of the posts they belong to. Names stay masked for them in the console.
    GRID = "grid"


class Action(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_LEDGER = "view_ledger"
    VIEW_CASE = "view_case"
    VIEW_NAMES = "view_names"  # parties' names in full (others see 张*)
    EXPORT = "export"
    REVEAL_PII = "reveal_pii"  # full phone, ID number, address — one field per logged request
    #: A case's generated documents (申请书, 协议书…): full names, addresses and ID numbers in
    #: them, so only roles that see those (a lawyer: assigned cases only; issue 21).
    DOWNLOAD_DOCUMENTS = "download_documents"
    ASSIGN = "assign"
    SET_RISK = "set_risk"
    ESCALATE = "escalate"
    ADD_NOTE = "add_note"
    CHANGE_STATUS = "change_status"
    VIEW_ALERTS = "view_alerts"
    MANAGE_RULES = "manage_rules"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    #: Register a dispute for someone met on the street (issue 24).
    REGISTER_CASE = "register_case"
    #: Work the tasks dispatched to one's posts and departments: accept, return, record, finish.
    HANDLE_TASKS = "handle_tasks"
    #: 治安调解 (治安管理处罚法 第九条): open it, record the agreement signed on paper, performed or
    #: returned to the police — police officers (and admins) only (mediation.police).
    POLICE_MEDIATE = "police_mediate"
    #: Record a party's signature on paper: the case's mediator checks the scan against the
    #: version (features.agreements.paper).
    SIGN_ON_PAPER = "sign_on_paper"


A = Action

#: What mediators and police both do on the cases of their units: the ledger and each case
#: with names (numbers in full on request, audited), exports and documents, risk, escalation,
#: notes and alerts, and the street's registration and tasks (issue 24).
_CASEWORK = frozenset(
    {
        A.VIEW_DASHBOARD,
        A.VIEW_LEDGER,
        A.VIEW_CASE,
        A.VIEW_NAMES,
        A.EXPORT,
        A.REVEAL_PII,
        A.DOWNLOAD_DOCUMENTS,
        A.SET_RISK,
        A.ESCALATE,
        A.ADD_NOTE,
        A.VIEW_ALERTS,
        A.REGISTER_CASE,
        A.HANDLE_TASKS,
    }
)

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.MEDIATOR: _CASEWORK | {A.ASSIGN, A.CHANGE_STATUS, A.SIGN_ON_PAPER},
    # 警调对接: police see who is involved and raise risk, but mediators run the people's
    # mediation; a 治安调解 is the police's own (治安管理处罚法 第九条).
    Role.POLICE: _CASEWORK | {A.POLICE_MEDIATE},
    # Volunteer lawyers advise on the cases they are assigned to (and see no others: see
    # features.console.context); contact details stay masked. The station's lawyer (驻所律师)
    # also works the tasks dispatched to the 司法所 they sit in (issue 24's joint mediation):
    # a street case shows them only what their desk's role on it allows.
    Role.LAWYER: frozenset(
        {A.VIEW_LEDGER, A.VIEW_CASE, A.VIEW_NAMES, A.ADD_NOTE, A.DOWNLOAD_DOCUMENTS, A.HANDLE_TASKS}
    ),
    # Supervisors and statisticians: numbers and the masked ledger only.
    Role.VIEWER: frozenset({A.VIEW_DASHBOARD, A.VIEW_LEDGER, A.VIEW_CASE}),
    # 网格员: register what they meet and work their posts' tasks; the masked ledger of their
    # units, no personal data in full, no case decisions.
    Role.GRID: frozenset({A.VIEW_LEDGER, A.VIEW_CASE, A.ADD_NOTE, A.REGISTER_CASE, A.HANDLE_TASKS}),
}


def parse_role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


def can(role: Role | str, action: Action) -> bool:
    """Whether the role may perform the action; an unknown role may do nothing."""
    parsed = role if isinstance(role, Role) else parse_role(role)
    return parsed is not None and action in PERMISSIONS[parsed]


def children(directory: UnitDirectory) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {u.code: [] for u in directory.units}
    for u in directory.units:
        if u.parent_code is not None:
            out[u.parent_code].append(u.code)
    return out


def subtree(directory: UnitDirectory, unit_code: str) -> frozenset[str]:
    """The unit and every unit below it; empty for a code the directory does not know."""
    if unit_code not in directory.by_code:
        return frozenset()
    kids = children(directory)
    seen: set[str] = set()
    stack = [unit_code]
    while stack:
        code = stack.pop()
        if code not in seen:
            seen.add(code)
            stack.extend(kids[code])
    return frozenset(seen)


def can_see_unit(directory: UnitDirectory, staff_unit: str, case_unit: str) -> bool:
    return case_unit in subtree(directory, staff_unit)


def is_root(directory: UnitDirectory, unit_code: str) -> bool:
    """A top unit (no parent): its admins also read audit rows tied to no unit."""
    unit = directory.by_code.get(unit_code)
    return unit is not None and unit.parent_code is None


def related_units(directory: UnitDirectory, unit_code: str) -> frozenset[str]:
    """Units whose mediators may take a case: the case's unit, those above and those below."""
    if unit_code not in directory.by_code:
        return frozenset()
    above = {u.code for u in directory.ancestors(unit_code)}
    return frozenset(above | subtree(directory, unit_code))
