"""parse_mode parsing: the fake must reject what Telegram rejects."""

from __future__ import annotations

import pytest

from standin.formatting import parse_html, parse_markdown, parse_markdown_v2, utf16_len
from standin.models import ApiError


def test_html_entities_and_offsets_in_utf16() -> None:
    text, entities = parse_html(
        '😀 <b>申请人</b> &lt;张三&gt; <a href="https://x.cn/?a=1&amp;b=2">链接</a>'
    )
    assert text == "😀 申请人 <张三> 链接"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 3},
        {"type": "text_link", "offset": 12, "length": 2, "url": "https://x.cn/?a=1&b=2"},
    ]
    assert utf16_len("😀") == 2


def test_html_nested_pre_code_language_and_spoiler() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">x = 1</code></pre><tg-spoiler>秘</tg-spoiler>'
        '<span class="tg-spoiler">密</span><blockquote expandable>引</blockquote>'
    )
    assert text == "x = 1秘密引"
    assert [e["type"] for e in entities] == ["pre", "spoiler", "spoiler", "expandable_blockquote"]
    assert entities[0]["language"] == "python"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("a<br>b", 'Unsupported start tag "br" at byte offset 1'),
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("甲 < 乙", "Unclosed start tag at byte offset 4"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
    ],
)
def test_html_errors(source: str, reason: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(source)
    assert caught.value.status == 400
    assert caught.value.description == f"Bad Request: can't parse entities: {reason}"


def test_html_keeps_unknown_ampersands_literal() -> None:
    assert parse_html("A&B &nbsp; &#20320;")[0] == "A&B &nbsp; 你"


def test_markdown_v2_entities() -> None:
    text, entities = parse_markdown_v2(
        r"*粗* _斜_ __下__ ~删~ ||隐|| `c\`d` [链](https://a.cn/\)) 1\.5 ```py" "\nx\n```"
    )
    assert text == "粗 斜 下 删 隐 c`d 链 1.5 x\n"
    kinds = [e["type"] for e in entities]
    assert kinds == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
        "pre",
    ]
    assert entities[6]["url"] == "https://a.cn/)"
    assert entities[7]["language"] == "py"


def test_markdown_v2_blockquote() -> None:
    text, entities = parse_markdown_v2(">引用一\n>引用二\n正文")
    assert text == "引用一\n引用二\n正文"
    assert entities == [{"type": "blockquote", "offset": 0, "length": 7}]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("1.5", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("(注)", "Character '(' is reserved and must be escaped with the preceding '\\'"),
        ("*粗", "Can't find end of Bold entity at byte offset 0"),
        ("_a *b_ c*", "Can't find end of Bold entity at byte offset 3"),
        ("`code", "Can't find end of Code entity at byte offset 0"),
    ],
)
def test_markdown_v2_errors(source: str, reason: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_markdown_v2(source)
    assert caught.value.description == f"Bad Request: can't parse entities: {reason}"


def test_legacy_markdown() -> None:
    text, entities = parse_markdown("*粗* _斜_ `代码` [链](https://a.cn) 1.5 (注)")
    assert text == "粗 斜 代码 链 1.5 (注)"
    assert [e["type"] for e in entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(ApiError, match="Can't find end of the entity starting at byte offset 0"):
        parse_markdown("*未闭合")
