"""Ledger exports: CSV (streamed, UTF-8 with BOM so Excel reads Chinese) and XLSX (openpyxl).

Phones are always masked in exports (a spreadsheet travels further than a screen) and names
follow the role's right to see them. Cells that a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@`` first) are prefixed with ``'``: a party's name must never become
a command on a staff member's computer.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Sequence
from zoneinfo import ZoneInfo

from features.console.context import StaffContext
from features.console.ledger import LedgerQuery, LedgerRow, LedgerService
from i18n import translate
from mediation import masking
from mediation.staff_permissions import Action
from mediation.units import UnitDirectory

#: Upper bound of one export (an XLSX of this size is ≈ 10 MB and takes seconds to build).
MAX_ROWS = 100_000
COLUMNS = (
    "number",
    "unit",
    "type",
    "status",
    "risk",
    "applicant",
    "applicant_phone",
    "respondent",
    "amount",
    "mediator",
    "created",
    "updated",
)


def stated_amount(lang: str, amount: object, stated: str | None, figure: str) -> str:
    """An amount as the applicant stated it: the figure, 约 the figure when they said it was
    approximate (大概四千八), 不详 when they said they do not know it, "" when not given."""
    if amount is not None:
        return (
            translate(lang, "console.case.amount_approx", amount=figure)
            if stated == "approximate"
            else figure
        )
    return translate(lang, "console.case.unknown") if stated == "unknown" else ""


def safe_cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class Exporter:
    def __init__(self, ledger: LedgerService, units: UnitDirectory, tz: ZoneInfo) -> None:
        self.ledger = ledger
        self.units = units
        self.tz = tz

    def header(self, lang: str) -> list[str]:
        return [translate(lang, f"console.export.{c}") for c in COLUMNS]

    def cells(self, row: LedgerRow, staff: StaffContext, lang: str) -> list[str]:
        names = staff.can(Action.VIEW_NAMES)

        def people(items: Sequence[tuple[str, str | None]]) -> str:
            unknown = translate(lang, "console.case.unknown")  # a name the applicant did not know
            return "、".join((n if names else masking.mask_name(n)) or unknown for n, _ in items)

        unit = self.units.by_code.get(row.unit_code)
        values = [
            row.number,
            unit.name if unit else row.unit_code,
            translate(lang, f"dispute.{row.dispute_type}"),
            translate(lang, f"status.{row.status}"),
            translate(lang, f"console.risk.{row.risk}"),
            people(row.applicants),
            "、".join(masking.mask_phone(p) for _, p in row.applicants if p),
            people(row.respondents),
            stated_amount(lang, row.amount, row.amount_stated, f"{row.amount or 0:.2f}"),
            row.mediator_name,
            row.created_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M"),
            row.updated_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M"),
        ]
        return [safe_cell(v) for v in values]

    async def csv_chunks(
        self, staff: StaffContext, q: LedgerQuery, lang: str
    ) -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.header(lang))
        yield "\ufeff".encode() + self._drain(buffer)
        count = 0
        async for row in self.ledger.iter_rows(staff, q, limit=MAX_ROWS):
            writer.writerow(self.cells(row, staff, lang))
            count += 1
            if count % 500 == 0:
                yield self._drain(buffer)
        yield self._drain(buffer)

    @staticmethod
    def _drain(buffer: io.StringIO) -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    async def xlsx(self, staff: StaffContext, q: LedgerQuery, lang: str) -> bytes:
        rows = [
            self.cells(r, staff, lang)
            async for r in self.ledger.iter_rows(staff, q, limit=MAX_ROWS)
        ]
        return await asyncio.to_thread(self._workbook, self.header(lang), rows, lang)

    @staticmethod
    def _workbook(header: list[str], rows: list[list[str]], lang: str) -> bytes:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(translate(lang, "console.export.sheet"))
        sheet.append(header)
        for r in rows:
            sheet.append(r)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
