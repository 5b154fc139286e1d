"""Every console route with the action it requires: the single table the middleware enforces
and the security tests walk (every role × every route)."""

from __future__ import annotations

from collections.abc import Iterable

from features.console.web import views_admin as admin
from features.console.web import views_auth as auth
from features.console.web import views_case_actions as case_actions
from features.console.web import views_cases as cases
from features.console.web import views_lawyers as lawyers
from features.console.web import views_posters as posters
from features.console.web import views_procedures as procedures
from features.console.web.core import PUBLIC, SIGNED_IN
from features.console.web.pages import ConsolePages, Route
from mediation.staff_permissions import Action

A = Action
CASE = r"/cases/{case_id:\d+}"


ROUTES: tuple[Route, ...] = (
    Route("GET", "/login", auth.login_form, PUBLIC),
    Route("POST", "/login", auth.login, PUBLIC),
    Route("GET", "/login/totp", auth.totp_form, PUBLIC),
    Route("POST", "/login/totp", auth.totp_submit, PUBLIC),
    Route("GET", "/static/{name}", auth.static_file, PUBLIC),
    Route("POST", "/logout", auth.logout, SIGNED_IN),
    Route("GET", "/account", auth.account, SIGNED_IN),
    Route("POST", "/account/password", auth.change_password, SIGNED_IN),
    Route("POST", "/account/totp", auth.totp_change, SIGNED_IN),
    Route("POST", "/account/quiet", auth.quiet_hours_change, SIGNED_IN),
    Route("GET", "/", admin.dashboard, A.VIEW_DASHBOARD),
    Route("GET", "/cases", cases.ledger, A.VIEW_LEDGER),
    Route("GET", "/cases/export.csv", cases.export_csv, A.EXPORT),
    Route("GET", "/cases/export.xlsx", cases.export_xlsx, A.EXPORT),
    Route("GET", CASE, cases.case_detail, A.VIEW_CASE),
    Route("POST", CASE + "/reveal", cases.reveal, A.REVEAL_PII),
    Route("POST", CASE + "/reveal-message", cases.reveal_message, A.REVEAL_PII),
    Route("POST", CASE + "/assign", case_actions.assign, A.ASSIGN),
    Route("POST", CASE + "/assign-lawyer", case_actions.assign_lawyer, A.ASSIGN),
    Route("POST", CASE + "/risk", case_actions.set_risk, A.SET_RISK),
    Route("POST", CASE + "/escalate", case_actions.escalate, A.ESCALATE),
    Route("POST", CASE + "/note", case_actions.add_note, A.ADD_NOTE),
    Route("POST", CASE + "/particulars", case_actions.record_particulars, A.REVEAL_PII),
    Route("POST", CASE + "/status", case_actions.change_status, A.CHANGE_STATUS),
    Route("POST", CASE + "/payments/correct", case_actions.correct_payment, A.CHANGE_STATUS),
    Route("GET", CASE + "/documents/{doc_id}", cases.download_document, A.DOWNLOAD_DOCUMENTS),
    Route("POST", CASE + "/paper-signature", procedures.paper_signature, A.SIGN_ON_PAPER),
    Route("POST", CASE + "/police", procedures.police_step, A.POLICE_MEDIATE),
    Route("GET", "/alerts", admin.alerts, A.VIEW_ALERTS),
    Route("POST", r"/alerts/{alert_id:\d+}/ack", admin.acknowledge, A.VIEW_ALERTS),
    Route("GET", "/rules", admin.rules, A.MANAGE_RULES),
    Route("POST", "/rules", admin.save_rule, A.MANAGE_RULES),
    Route("POST", r"/rules/{rule_id:\d+}", admin.save_rule, A.MANAGE_RULES),
    Route("GET", "/audit", admin.audit_log, A.VIEW_AUDIT),
    Route("GET", "/users", admin.users, A.MANAGE_USERS),
    Route("GET", "/lawyers", lawyers.lawyers, A.MANAGE_USERS),
    Route("GET", "/posters", posters.posters, A.VIEW_DASHBOARD),
    Route("GET", "/posters.pdf", posters.poster_pdf, A.VIEW_DASHBOARD),
    Route("POST", r"/lawyers/{staff_id:\d+}", lawyers.save_lawyer, A.MANAGE_USERS),
    Route("POST", "/users", admin.create_user, A.MANAGE_USERS),
    Route("POST", r"/users/{staff_id:\d+}/active", admin.set_user_active, A.MANAGE_USERS),
    Route("POST", r"/users/{staff_id:\d+}/phone", admin.set_user_phone, A.MANAGE_USERS),
)


def every_route(pages: Iterable[ConsolePages]) -> tuple[Route, ...]:
    """The console's routes and those the features contribute (``features.console.web.pages``)."""
    return ROUTES + tuple(route for page in pages for route in page.routes)
