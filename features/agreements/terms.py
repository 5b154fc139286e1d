"""What the service says about clauses a court will not confirm, in chat and on the command line.

The judging is the domain's (:mod:`mediation.confirmability`); here it becomes a warning line
per clause in the draft review and the 司法确认 offer ("第2条：…（民诉法解释 第三百五十五条…）。
建议：…"), and the JSON lines of ``main.py agreement check-terms`` (one clause per input line,
for mediators' tools and the benchmark).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.config import Settings
from i18n import translate
from mediation.confirmability import Category, ClauseVerdict, Confirmability, judge
from mediation.replies import Msg


def flag_line(number: int, verdict: ClauseVerdict) -> Msg:
    """One refused clause: why (its first ground), the article and what to write instead."""
    return Msg(
        "agreements.flag_line",
        {
            "n": number,
            "why": Msg(f"agreements.flag_{verdict.category.value}"),
            "basis": verdict.basis,
            "suggestion": Msg(verdict.suggestion_key, {"who": verdict.stranger or "-"}),
        },
    )


def flag_lines(check: Confirmability) -> list[Msg]:
    return [flag_line(i + 1, v) for i, v in enumerate(check.verdicts) if not v.confirmable]


def stored_flag_lines(flags: dict[str, Any]) -> list[Msg]:
    """The warning lines of a stored offer (``JudicialConfirmation.flags``: index → grounds)."""
    out = []
    for index, grounds in sorted(flags.items(), key=lambda kv: int(kv[0])):
        try:
            category = Category(str(grounds[0]))
        except (ValueError, IndexError):
            continue
        out.append(flag_line(int(index) + 1, ClauseVerdict("", category, (category,))))
    return out


def party_names(content: dict[str, Any]) -> list[str]:
    """The parties' names as the agreement prints them (a clause binding anyone else is
    flagged)."""
    return [str(p.get("name", "")) for p in content.get("parties", []) if p.get("name")]


def verdict_json(verdict: ClauseVerdict, language: str) -> dict[str, Any]:
    return {
        "clause": verdict.clause,
        "confirmable": verdict.confirmable,
        "category": verdict.category.value,
        "grounds": [g.value for g in verdict.grounds],
        "basis": verdict.basis,
        "suggestion": translate(
            language, Msg(verdict.suggestion_key, {"who": verdict.stranger or "-"})
        ),
    }


def add_agreement_commands(subparsers: Any) -> None:
    """``main.py agreement check-terms [--json] [--party NAME …]``."""
    agreement = subparsers.add_parser("agreement", help="agreements: check clauses")
    sub = agreement.add_subparsers(dest="agreement_command", metavar="COMMAND", required=True)
    p = sub.add_parser(
        "check-terms",
        help="can a court confirm each clause? (one clause per stdin line)",
        description="Reads one clause per line from stdin and judges each by what it does "
        "(民诉法解释 第三百五十五条、第三百五十八条). With --json one JSON object per line: "
        "clause, confirmable, category, grounds, basis, suggestion.",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per input line")
    p.add_argument(
        "--party",
        action="append",
        default=[],
        metavar="NAME",
        help="a party's name (repeat): a clause that binds another named person is flagged",
    )
    p.add_argument("--lang", default=None, help="zh-CN or en (default: DEFAULT_LANGUAGE)")
    p.set_defaults(func=cmd_check_terms)


def cmd_check_terms(args: argparse.Namespace, settings: Settings) -> int:
    language = args.lang or settings.default_language
    if language not in ("zh-CN", "en"):
        print(
            translate(settings.default_language, Msg("agreements.terms.err_lang")), file=sys.stderr
        )
        return 2
    for number, line in enumerate(sys.stdin, start=1):
        clause = line.strip()
        if not clause:
            continue
        verdict = judge(clause, args.party)
        if args.json:
            print(json.dumps(verdict_json(verdict, language), ensure_ascii=False), flush=True)
            continue
        mark = "✓" if verdict.confirmable else "✗"
        print(f"{number}\t{mark}\t{verdict.category.value}\t{verdict.basis}\t{clause}")
        if not verdict.confirmable:
            print(f"\t→ {verdict_json(verdict, language)['suggestion']}")
    return 0
