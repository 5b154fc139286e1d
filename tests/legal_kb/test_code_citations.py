"""The code's own legal citations exist in the knowledge base and are in force (issue 22).

Every citation of an article in the product's source, templates and message catalogues
("人民调解法 第二十九条" in a docstring, "《中华人民共和国民事诉讼法》第二百零五条" in a template, a
short name such as 民间借贷规定 第二十五条) is looked up in exactly what the base imports: laws.db
and the shipped corpus. A citation typed from memory that names a wrong article, a repealed
document or an unknown one fails here, with the file and line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from legal_kb import checks
from legal_kb.citations import extract_citations
from legal_kb.importers import corpus
from legal_kb.importers.lawsdb import default_path, read_laws_db
from legal_kb.imports import repealed_laws_of
from legal_kb.models import STATUS_IN_FORCE
from legal_kb.names import NameResolver
from legal_kb.records import Article, article_as_read

ROOT = Path(__file__).resolve().parents[2]
#: Product code (tests hold deliberately wrong citations; benchmarks quote questions).
SCANNED = (
    "bot",
    "core",
    "documents",
    "features",
    "i18n",
    "legal_kb",
    "mediation",
    "services",
    "speech",
    "storage",
    "web",
    "main.py",
)
SUFFIXES = (".py", ".toml", ".html", ".txt", ".md")
#: Where the code shows how a *wrong* citation is reported (examples of the checker's output).
EXAMPLES_OF_BAD_CITATIONS = {
    "documents/citations.py",  # 《人民调解协议书》第二条, 《A》第一条: a document's own clauses
    "legal_kb/checks.py",
    "legal_kb/citations.py",
    "legal_kb/names.py",
}


@dataclass(frozen=True)
class Base:
    resolver: NameResolver
    versions: dict[tuple[str, int, int], list[Article]]


@pytest.fixture(scope="module")
def base() -> Base:
    """What the knowledge base holds: laws.db and the shipped corpus, statuses as imported."""
    records = read_laws_db(default_path())
    batch = corpus.read_corpus()
    # The repeals laws.db states (民法典 第一千二百六十条 …), as the import computes them.
    repealed = repealed_laws_of(records)
    records += [(d.law, list(d.articles)) for d in corpus.apply_repeals(batch.docs, repealed)]
    versions: dict[tuple[str, int, int], list[Article]] = defaultdict(list)
    for i, (law, articles) in enumerate(records):
        for art in articles:
            if art.number is None:
                continue
            versions[(law.name, art.number, art.suffix)].append(article_as_read(i, law, art))
    for found in versions.values():
        found.sort(key=lambda a: a.status not in (STATUS_IN_FORCE, "已被修改"))
    return Base(NameResolver({law.name for law, _ in records}), dict(versions))


def _sources() -> list[Path]:
    out: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            out.append(path)
        else:
            out += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    return [p for p in out if "migrations" not in p.parts]


def test_code_citations_exist_and_are_in_force(base: Base) -> None:
    problems: list[str] = []
    checked = 0
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel in EXAMPLES_OF_BAD_CITATIONS:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for cited in extract_citations(line, base.resolver):
                found = base.versions.get((cited.law or "", cited.number, cited.suffix), [])
                verdict = checks.check(cited, found, {}, date.today())
                checked += 1
                if not verdict.ok:
                    problems.append(f"{rel}:{lineno}: {cited.text} → {verdict.message}")
    assert not problems, "\n".join(problems)
    assert checked > 50  # the scan does find the code's citations


def test_usual_short_names_resolve_to_documents_in_the_base(base: Base) -> None:
    from legal_kb.names import INTERPRETATIONS

    missing = [short for short in INTERPRETATIONS if base.resolver.resolve(short) is None]
    assert not missing, f"short names whose document is not in the base: {missing}"


@pytest.mark.parametrize(
    ("text", "law", "number"),
    [
        ("民间借贷规定第二十五条", "最高人民法院关于审理民间借贷案件适用法律若干问题的规定", 25),
        (
            "依照《民诉法解释》第三百五十五条",
            "最高人民法院关于适用《中华人民共和国民事诉讼法》的解释",
            355,
        ),
        (
            "人身损害赔偿解释第十二条",
            "最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释",
            12,
        ),
        ("劳动争议解释（一）第一条", "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）", 1),
        ("《人民调解委员会组织条例》第五条", "人民调解委员会组织条例", 5),
        (
            "城镇房屋租赁合同解释第五条",
            "最高人民法院关于审理城镇房屋租赁合同纠纷案件具体应用法律若干问题的解释",
            5,
        ),
        ("《关于工资总额组成的规定》（国家统计局令第1号）第四条", "关于工资总额组成的规定", 4),
    ],
)
def test_short_names_in_text(base: Base, text: str, law: str, number: int) -> None:
    (cited,) = extract_citations(text, base.resolver)
    assert (cited.law, cited.number) == (law, number)
    verdict = checks.check(cited, base.versions[(law, number, 0)], {}, date.today())
    assert verdict.ok and verdict.in_force


def test_repealed_interpretation_says_why(base: Base) -> None:
    (cited,) = extract_citations("婚姻法解释（二）第二十四条", base.resolver)
    verdict = checks.check(cited, base.versions[(cited.law or "", 24, 0)], {}, date.today())
    assert verdict.problem == checks.REPEALED
    assert "婚姻法" in verdict.message
