"""Status truth (issue 22): no repealed or amended document of the corpus reads as current law.

Every document here is a real one of the shipped archive (legal_kb/data), and the national
repeals come from laws.db, as the import computes them; this file holds no statute text.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from legal_kb import checks, store
from legal_kb.importers import corpus, statuses
from legal_kb.importers.lawsdb import default_path, read_laws_db
from legal_kb.imports import LawBatch, import_corpus, repealed_laws_of
from legal_kb.service import KnowledgeBase
from storage.db import Database

TODAY = date(2026, 12, 6)
SPC = "最高人民法院关于"
LABOUR_1 = SPC + "审理劳动争议案件适用法律问题的解释（一）"
LABOUR_OLD = SPC + "审理劳动争议案件适用法律若干问题的解释"
LABOUR_2 = LABOUR_OLD + "（二）"
LABOUR_4 = LABOUR_OLD + "（四）"
BUILDING_2 = SPC + "审理建设工程施工合同纠纷案件适用法律问题的解释（二）"
BUILDING_1 = SPC + "审理建设工程施工合同纠纷案件适用法律问题的解释（一）"
COMPANY_2 = SPC + "适用《中华人民共和国公司法》若干问题的规定（二）"
COMPANY_4 = SPC + "适用《中华人民共和国公司法》若干问题的规定（四）"
LENDING = SPC + "审理民间借贷案件适用法律若干问题的规定"
STAMP_DUTY = "中华人民共和国印花税暂行条例"
FACE = "审理使用人脸识别技术处理个人信息相关民事案件适用法律若干问题的规定"
COMMERCIAL_DECISION = "二十九件商事类司法解释的决定"


@pytest.fixture(scope="module")
def repealed_laws() -> dict[str, str]:
    return repealed_laws_of(read_laws_db(default_path()))


@pytest.fixture(scope="module")
def decided(repealed_laws: dict[str, str]) -> dict[str, corpus.CorpusDoc]:
    """The shipped corpus with statuses decided, by title (historical versions left out)."""
    docs = corpus.apply_repeals(corpus.read_corpus().docs, repealed_laws)
    return {d.law.name: d for d in docs if d.law.status != "历史版本"}


def test_an_old_series_is_replaced_by_the_new_one_numbered_one(
    decided: dict[str, corpus.CorpusDoc],
) -> None:
    assert decided[LABOUR_1].law.status == "现行有效"
    # The 2020 decision in the archive names them too, and a named repeal comes first; the
    # series rule is what decides without it.
    without = [d for d in decided.values() if "关于废止部分司法解释" not in d.law.name]
    replaced = {d.law.name: new.law.name for d in without if (new := series(without, d))}
    for old in (LABOUR_OLD, LABOUR_2, LABOUR_4, BUILDING_2):
        assert decided[old].law.status == "已废止", old
        assert replaced[old] in (LABOUR_1, BUILDING_1)
    assert decided[BUILDING_1].law.status == "现行有效"


def series(docs: list[corpus.CorpusDoc], doc: corpus.CorpusDoc) -> corpus.CorpusDoc | None:
    """The new （一） that replaces ``doc`` by the series rule alone (statuses as read)."""
    fresh = [replace(d, law=replace(d.law, status="现行有效", note=None)) for d in docs]
    found = statuses.find_new_series(fresh)
    return found.get(doc.law.key)


def test_amended_by_a_decision_in_the_corpus(decided: dict[str, corpus.CorpusDoc]) -> None:
    # 公司法规定（二） is in the corpus only in its 2008 text; the 2020 decision amended it.
    company = decided[COMPANY_2].law
    assert company.version_date is not None and company.version_date < date(2020, 12, 23)
    assert company.status == "已被修改"
    assert company.note is not None and COMMERCIAL_DECISION in company.note
    assert "修改后的文本未收录" in company.note and "2021-01-01" in company.note
    # Republished under the decision's date: that text is the amended one, and current.
    assert decided[COMPANY_4].law.status == "现行有效"
    assert decided[LENDING].law.status == "现行有效"


def test_a_regulation_repealed_by_a_national_law(
    decided: dict[str, corpus.CorpusDoc], repealed_laws: dict[str, str]
) -> None:
    stamp = decided[STAMP_DUTY].law
    assert stamp.status == "已废止"
    assert stamp.note is not None and "印花税法" in stamp.note


def test_one_current_document_per_title_even_when_filed_without_the_court(
    decided: dict[str, corpus.CorpusDoc],
) -> None:
    face = [d for d in decided.values() if statuses.title_key(d.law.name) == "关于" + FACE]
    assert [d.law.name for d in face] == [SPC + FACE]


def test_repeal_sentences_of_real_documents() -> None:
    """The wordings the corpus uses: 同时废止, 即行废止, 不再执行; a partial repeal is not one."""
    texts = {d.law.name: "\n".join(a.text for a in d.articles) for d in corpus.read_corpus().docs}
    compensation = texts[SPC + "人民法院赔偿委员会审理国家赔偿案件程序的规定"]
    assert "人民法院赔偿委员会审理赔偿案件程序的暂行规定" in statuses.repealed_titles(compensation)
    minors = texts[SPC + "审理未成年人刑事案件具体应用法律若干问题的解释"]
    assert any("办理未成年人刑事案件" in t for t in statuses.repealed_titles(minors))
    detention = texts["中华人民共和国看守所条例"]  # "…中有关看守所的规定即行废止": a part only
    assert not any("劳动改造条例" in t for t in statuses.repealed_titles(detention))
    (decision,) = [
        n for n in texts if n.startswith(SPC + "修改《关于审理掩饰、隐瞒犯罪所得")
    ]  # "…（法释〔2015〕11号）第一条第一款…的数额标准不再适用": amended, not repealed
    assert statuses.repealed_titles(texts[decision]) == []


def test_decided_statuses_in_citation_checks(
    decided: dict[str, corpus.CorpusDoc], repealed_laws: dict[str, str]
) -> None:
    """What a citation check says about them: refused with why, or flagged."""
    from legal_kb.citations import extract_citations
    from legal_kb.names import NameResolver
    from legal_kb.records import Article

    resolver = NameResolver(decided)

    def verdict(text: str) -> checks.CitationCheck:
        (cited,) = extract_citations(text, resolver)
        law = decided[cited.law or ""].law
        art = next(a for a in decided[law.name].articles if a.number == cited.number)
        stored = Article(
            0, law.name, law.kind, art.article_no, art.number, 0, None, None, art.text,
            law.status, law.effective_date, law.note,
        )  # fmt: skip
        return checks.check(cited, [stored], {}, TODAY)

    labour = verdict("劳动争议解释（二）第一条")
    assert labour.problem == checks.REPEALED and not labour.in_force
    assert "劳动争议解释（一）" in labour.message
    company = verdict("《最高人民法院关于适用〈中华人民共和国公司法〉若干问题的规定（二）》第一条")
    assert company.ok and "修改后的文本未收录" in company.message
    rebate = verdict("《最高人民法院关于审理出口退税托管帐户质押贷款案件有关问题的规定》第一条")
    assert rebate.problem == checks.REPEALED and not rebate.in_force
    assert "关于废止部分司法解释及相关规范性文件的决定" in rebate.message


#: Files of the archive for the database test (the replaced series, the new one, an amended one).
PICK = (
    "司法解释/最高人民法院关于审理劳动争议案件适用法律若干问题的解释（二）(2006-08-14).md",
    "司法解释/最高人民法院关于审理劳动争议案件适用法律问题的解释（一）(2020-12-29).md",
    "司法解释/最高人民法院关于适用《公司法》若干问题的规定（二）(2008-05-12).md",
    "司法解释/最高人民法院关于修改《最高人民法院关于破产企业国有划拨土地使用权应否列入破产财产等问题的批复》等二十九件商事类司法解释的决定.md",
)


@pytest.fixture
def status_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "legal-corpus"
    files = dict(corpus.iter_files(corpus.ARCHIVE))
    for rel in PICK:
        if rel not in files:
            pytest.fail(f"{rel} is not in the shipped corpus")
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[rel], encoding="utf-8")
    return root


async def test_imported_statuses_hold_in_the_base_and_in_search(
    kb_db: Database, subset_batch: LawBatch, status_corpus: Path, tmp_path: Path
) -> None:
    async with kb_db.write() as session:
        await store.upsert_laws(session, subset_batch)
    await import_corpus(kb_db, status_corpus, today=TODAY)
    again = await import_corpus(kb_db, status_corpus, force=True, today=TODAY)
    assert (again.laws.added, again.laws.updated) == (0, 0)  # a re-import decides the same
    async with kb_db.read() as session:
        by_name = {law.name: law for law in await store.law_catalog(session)}
    assert by_name[LABOUR_2].status == "已废止"
    assert by_name[LABOUR_1].status == "现行有效"
    assert by_name[COMPANY_2].status == "已被修改"

    kb = KnowledgeBase(kb_db, tmp_path, today=lambda: TODAY)
    try:
        (repealed,) = await kb.check_citations("劳动争议解释（二）第一条")
        hits = await kb.search("劳动争议 仲裁 用人单位", top=20)
    finally:
        await kb.close()
    assert repealed.problem == checks.REPEALED and "劳动争议解释（一）" in repealed.message
    # A replaced interpretation is never a search result (only text in force is searched).
    assert hits and all(h.law != LABOUR_2 for h in hits)
    assert any(h.law == LABOUR_1 for h in hits)


def test_a_repeal_decision_added_to_the_corpus_is_followed(tmp_path: Path) -> None:
    """The court's repeal decisions (e.g. of 2020-12-29) are not in the collection; when a
    maintainer adds one (``kb pack-corpus``), its list decides. The decision below is a
    stand-in in the collection's format, naming two real documents of the archive: one
    with 《》 and its document number, one bare, as such lists are printed."""
    files = dict(corpus.iter_files(corpus.ARCHIVE))
    root = tmp_path / "legal-corpus"
    kept = "司法解释/最高人民法院关于审理名誉权案件若干问题的解释(1998-08-31).md"
    other = "司法解释/最高人民法院关于审理名誉权案件若干问题的解答(1993-08-07).md"
    for rel in (kept, other):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(files[rel], encoding="utf-8")
    (root / "司法解释" / "最高人民法院关于废止部分司法解释的决定.md").write_text(
        "# 最高人民法院关于废止部分司法解释的决定\n\n"
        "2020年12月23日 最高人民法院审判委员会通过\n\n2021年1月1日 施行\n\n"
        "<!-- INFO END -->\n\n"
        "决定废止下列司法解释：\n\n"
        "1.《最高人民法院关于审理名誉权案件若干问题的解答》（法发〔1993〕15号）\n\n"
        "2.最高人民法院关于审理名誉权案件若干问题的解释（法释〔1998〕26号）\n\n"
        "本决定自2021年1月1日起施行。\n",
        encoding="utf-8",
    )
    docs = corpus.apply_repeals(corpus.read_corpus(root).docs, {})
    statuses_by_name = {d.law.name: (d.law.status, d.law.note) for d in docs}
    for name in (SPC + "审理名誉权案件若干问题的解答", SPC + "审理名誉权案件若干问题的解释"):
        status, note = statuses_by_name[name]
        assert status == "已废止"
        assert note == "已被《最高人民法院关于废止部分司法解释的决定》废止（自2021-01-01起）"


EXPORT_REBATE = SPC + "审理出口退税托管帐户质押贷款案件有关问题的规定"
PRESERVATION = SPC + "当事人申请财产保全错误造成案外人损失应否承担赔偿责任问题的解释"
SPOUSE_DEBTS = SPC + "审理涉及夫妻债务纠纷案件适用法律有关问题的解释"
UNION = SPC + "在民事审判工作中适用《中华人民共和国工会法》若干问题的解释"
CLEAN_UP = "司法解释/最高人民法院关于废止部分司法解释及相关规范性文件的决定(2020-12-29).md"


def test_the_civil_code_clean_up_decision_is_followed(
    decided: dict[str, corpus.CorpusDoc],
) -> None:
    """The archive holds the court's 2020 repeal decision (法释〔2020〕16号, a Markdown table of
    116 documents): those of its list the corpus holds are 已废止 from 2021-01-01 with a note
    naming it — 帐户 in the corpus's title, 账户 in the decision's list."""
    for name in (EXPORT_REBATE, SPOUSE_DEBTS, SPC + "审理名誉权案件若干问题的解释", LABOUR_OLD):
        law = decided[name].law
        assert law.status == "已废止", name
        assert law.note is not None and "关于废止部分司法解释及相关规范性文件的决定" in law.note
        assert "2021-01-01" in law.note
    # Not on the list: kept in force (and nothing is left "to be verified" by rule 5).
    assert decided[PRESERVATION].law.status == "现行有效"
    assert decided[UNION].law.status == "现行有效"
    assert not [d for d in decided.values() if d.law.status == "效力待核实"]


def test_without_the_decision_an_interpretation_resting_on_repealed_laws_is_doubted(
    repealed_laws: dict[str, str],
) -> None:
    """A corpus without the 2020 decision (the collection as LawRefBook/Laws ships it): an
    interpretation of before the 民法典 review whose stated basis is only 民法通则/合同法/担保法
    is shown 效力待核实 with why — not plain 现行有效, and not 已废止, which it cannot know."""
    from legal_kb.citations import extract_citations
    from legal_kb.names import NameResolver
    from legal_kb.records import Article

    docs = [d for d in corpus.read_corpus().docs if d.path != CLEAN_UP]
    decided = {
        d.law.name: d
        for d in corpus.apply_repeals(docs, repealed_laws)
        if d.law.status != "历史版本"
    }
    rebate = decided[EXPORT_REBATE]
    assert statuses.stated_basis(rebate.preamble)[0] == "中华人民共和国民法通则"
    assert rebate.law.status == "效力待核实"
    assert rebate.law.note is not None
    assert "《民法通则》《合同法》《担保法》已被《民法典》废止" in rebate.law.note
    assert "是否仍然有效请核实" in rebate.law.note
    assert decided[PRESERVATION].law.status == "效力待核实"
    # A basis that also names a law still in force (民事诉讼法) is not doubted by this rule,
    # nor is a text the court re-issued for the 民法典 (dated 2020-12-23), nor a newer one.
    assert decided[SPOUSE_DEBTS].law.status == "现行有效"
    assert decided[UNION].law.status == "现行有效"
    assert decided[LENDING].law.status == "现行有效"
    assert len([d for d in decided.values() if d.law.status == "效力待核实"]) == 2

    (cited,) = extract_citations(f"《{EXPORT_REBATE}》第一条", NameResolver(decided))
    art = next(a for a in rebate.articles if a.number == 1)
    law = rebate.law
    stored = Article(
        0, law.name, law.kind, art.article_no, art.number, 0, None, None, art.text,
        law.status, law.effective_date, law.note,
    )  # fmt: skip
    verdict = checks.check(cited, [stored], {}, TODAY)
    assert verdict.ok and verdict.status == "效力待核实"
    assert "效力待核实" in verdict.message and "现行有效" not in verdict.message
    assert "已被《民法典》废止" in verdict.message
