"""Every kind of case event the product writes has a label on the timeline, in both languages.

Why a scan of the source and not a list: the list is what went stale (issue 20: the timeline
showed agreement_effective, lawyer_requested… as raw codes). The test reads every
``CaseEvent(kind=…)`` in the product — a literal, either branch of ``a if c else b``, or a
parameter, in which case the literal ``kind=`` of every call to that function — so a new event
kind without a label in each catalogue fails here: ``console.timeline.<kind>``, or the
feature's own where it declared one (``services.features.timeline_labels``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient

import app.features  # noqa: F401  (every feature declares its timeline labels on import)
import i18n
from services.features import timeline_label
from storage.models import CaseEvent
from tests.console.conftest import World, login

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("services", "features", "bot", "web", "app", "mediation", "harness")


def _literals(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        a, b = _literals(node.body), _literals(node.orelse)
        return a + b if a is not None and b is not None else None
    return None


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def event_kinds() -> set[str]:
    trees = [
        ast.parse(path.read_text(encoding="utf-8"))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
    ]
    kinds: set[str] = set()
    forwarding: set[str] = set()  # functions that pass their ``kind`` parameter on
    names = {"CaseEvent"}  # and the names it is imported as (``CaseEvent as CaseEventRow``)
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names |= {a.asname for a in node.names if a.name == "CaseEvent" and a.asname}
    for tree in trees:
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(fn):
                if not (isinstance(call, ast.Call) and _name(call.func) in names):
                    continue
                for kw in call.keywords:
                    if kw.arg != "kind":
                        continue
                    found = _literals(kw.value)
                    if found is not None:
                        kinds.update(found)
                    elif isinstance(kw.value, ast.Name):
                        forwarding.add(fn.name)
                    else:
                        raise AssertionError(f"{fn.name}: a CaseEvent kind the test cannot read")

    # A function that passes its own ``kind`` parameter on to a forwarding one
    # (``add_event(kind=kind)``) forwards too: the literal is at the calls to it, however many
    # steps away.
    def passes_kind_on(fn: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call) -> bool:
        own = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
        return any(
            kw.arg == "kind" and isinstance(kw.value, ast.Name) and kw.value.id in own
            for kw in call.keywords
        )

    functions = [
        fn
        for tree in trees
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    growing = True
    while growing:
        growing = False
        for fn in functions:
            if fn.name not in forwarding and any(
                isinstance(call, ast.Call)
                and _name(call.func) in forwarding
                and passes_kind_on(fn, call)
                for call in ast.walk(fn)
            ):
                forwarding.add(fn.name)
                growing = True
    passed_on = {
        id(call)
        for fn in functions
        if fn.name in forwarding
        for call in ast.walk(fn)
        if isinstance(call, ast.Call) and passes_kind_on(fn, call)
    }
    for tree in trees:
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and _name(call.func) in forwarding:
                if id(call) in passed_on:
                    continue
                for kw in call.keywords:
                    if kw.arg == "kind":
                        found = _literals(kw.value) or _from_a_table(tree, kw.value)
                        assert found is not None, ast.dump(call)[:200]
                        kinds.update(found)
    return kinds


def _from_a_table(tree: ast.Module, value: ast.expr) -> list[str] | None:
    """``kind=step.kind`` where the module builds its steps as a table of its own class
    (``_ButtonStep(…, kind="payment_confirmed")``): every literal ``kind`` of those rows."""
    if not (isinstance(value, ast.Attribute) and value.attr == "kind"):
        return None
    classes = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    rows = [
        found
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and _name(call.func) in classes
        for kw in call.keywords
        if kw.arg == "kind" and (found := _literals(kw.value)) is not None
    ]
    return [kind for found in rows for kind in found] or None


def test_the_scan_finds_the_known_kinds() -> None:
    kinds = event_kinds()
    # Direct, conditional and forwarded (``_trace(kind="escalated")``) kinds are all seen.
    assert {"created", "risk", "offer_countered", "offer_proposed", "escalated"} <= kinds
    assert {"agreement_effective", "lawyer_requested", "lawyer_joined"} <= kinds
    # Forwarded in two steps (``payment_step`` → ``payment_event`` → ``add_event``).
    assert {"payment_confirmed", "payment_receipt", "payment_reminded"} <= kinds
    # From a table of steps (``kind=step.kind``, the rows ``_ButtonStep(kind="…")``).
    assert {"payment_marked_paid", "payment_disputed"} <= kinds


def test_every_event_kind_has_a_timeline_label_in_both_languages() -> None:
    kinds = event_kinds()
    for language in i18n.LANGUAGES:
        catalog = i18n.catalog(language)
        missing = sorted(k for k in kinds if timeline_label(k) not in catalog)
        assert missing == [], (language, missing)


async def test_the_case_page_speaks_each_kind_in_the_readers_language(
    client: TestClient[web.Request, web.Application], world: World
) -> None:
    """Events of every kind on one case: the page shows their labels, never the raw codes."""
    case_id = world.cases["neighbour"]
    plain = sorted(event_kinds() - {"risk", "status", "escalated", "outcome", "note"})
    async with world.runtime.db.write() as session:
        for kind in plain:
            session.add(CaseEvent(case_id=case_id, at=world.clock.now(), kind=kind, actor="system"))
    await login(client, "admin_c1")
    for language, label in (("zh-CN", "已生效"), ("en", "in effect")):
        page = await (await client.get(f"/staff/cases/{case_id}?lang={language}")).text()
        timeline = page.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
        timeline = re.sub(r"<[^>]+>", " ", timeline)  # what is read, not the CSS classes
        assert label in timeline
        other = {k: i18n.translate(language, "console.timeline.other", kind=k) for k in plain}
        shown = [k for k in plain if other[k] in timeline or f"console.timeline.{k}" in timeline]
        assert shown == [], (language, shown)
