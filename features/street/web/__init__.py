"""The street feature's pages in the staff console (``/staff/street/…``), registered through the
console's hook (``features.console.web.pages``; ``features.street.register`` hands it over):

- ``views``: 代为登记 (registering a dispute for someone, at phone width) and a desk's 岗位任务;
- ``views_joint``: 联合处置 (a joint case as one's role allows), the centre's 派单, the wall
  screen 大屏 and the operations picture on the console's dashboard.

The console mounts these routes in its own sub-application, so they pass its sign-in, CSRF and
role checks like its own pages; the templates extend its ``base.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from features.console.context import StaffContext
from features.console.web.pages import ConsolePages, DashboardPanel, NavLink, Route
from features.street.joint_service import JointService
from features.street.service import StreetService, Wiring
from features.street.web import views, views_joint
from features.street.web.views import STREET
from features.street.web.views_joint import JOINT
from mediation.staff_permissions import Action as A

if TYPE_CHECKING:
    from app.runtime import Runtime

HERE = Path(__file__).parent


def setup(app: web.Application, runtime: Runtime) -> None:
    """The street's use cases in the console's sub-application."""
    wiring = Wiring(
        runtime.db,
        runtime.units,
        runtime.clock,
        runtime.settings,
        deep_link=lambda token: runtime.conversation.deep_link(token),
        deliver=runtime.deliver,
        sms_gateway=lambda: runtime.shared.sms_gateway,
        shared=lambda: runtime.shared,
    )
    app[STREET] = StreetService(wiring, runtime.files)
    app[JOINT] = JointService(wiring)


async def _picture(request: web.Request, staff: StaffContext) -> dict[str, Any]:
    return {"street_picture": await request.app[JOINT].picture(staff.id)}


ROUTES: tuple[Route, ...] = (
    Route("GET", "/street/register", views.register_form, A.REGISTER_CASE),
    Route("POST", "/street/register", views.register, A.REGISTER_CASE),
    Route("GET", "/street/registered", views.registered, A.REGISTER_CASE),
    Route("GET", "/street/tasks", views.task_list, A.HANDLE_TASKS),
    Route("POST", r"/street/tasks/{task_id:\d+}", views.task_action, A.HANDLE_TASKS),
    Route("GET", r"/street/cases/{case_id:\d+}", views_joint.case_page, A.HANDLE_TASKS),
    Route("POST", r"/street/cases/{case_id:\d+}", views_joint.case_action, A.HANDLE_TASKS),
    Route("GET", "/street/dispatch", views_joint.dispatch_page, A.ASSIGN),
    Route("POST", r"/street/dispatch/{case_id:\d+}", views_joint.dispatch_action, A.ASSIGN),
    Route("GET", "/street/wall", views_joint.wall, A.VIEW_DASHBOARD),
    Route("GET", "/street/wall.json", views_joint.wall_json, A.VIEW_DASHBOARD),
)

PAGES = ConsolePages(
    name="street",
    routes=ROUTES,
    setup=setup,
    templates=HERE / "templates",
    static=HERE / "static",
    nav=(
        NavLink("/street/register", "street.console.nav_register", A.REGISTER_CASE),
        NavLink("/street/tasks", "street.console.nav_tasks", A.HANDLE_TASKS),
        NavLink("/street/dispatch", "street.joint.nav_dispatch", A.ASSIGN),
        NavLink("/street/wall", "street.wall.nav", A.VIEW_DASHBOARD, mark_current=False),
    ),
    dashboard=(DashboardPanel("_street_picture.html", _picture),),
)
