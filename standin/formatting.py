"""``parse_mode`` handling: turn HTML / MarkdownV2 / Markdown into text + entities.

This exists because "can't parse entities" is one of the most common ways a
bot breaks in production: user-supplied text (a party's name, a claim amount
with a dot) pasted into an HTML or MarkdownV2 template.  A fake that accepted
anything would hide those bugs, so the parsers here reject what Telegram
rejects, with the same error wording, and compute entity offsets in UTF-16
code units as the Bot API does.
"""

from __future__ import annotations

import html
import re

from .models import ApiError, JSONDict, bad_request

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ATTR_RE = re.compile(r"""([a-zA-Z_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_TAG_NAME_RE = re.compile(r"[a-zA-Z0-9_-]*")
_ENTITY_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);")
_NAMED = frozenset({"lt", "gt", "amp", "quot"})
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}
_MD_TYPES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Bot API entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode())


def _entity_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


class _Builder:
    """Accumulates plain text while tracking the UTF-16 position for entities."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[JSONDict] = []

    def add(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.pos += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: object) -> None:
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def result(self) -> tuple[str, list[JSONDict]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Telegram's HTML subset; unknown tags and unbalanced markup are errors."""
    out = _Builder()
    stack: list[tuple[str, int, dict[str, str]]] = []
    i, n = 0, len(source)
    while i < n:
        lt, amp = source.find("<", i), source.find("&", i)
        stop = min(x for x in (lt, amp, n) if x != -1)
        out.add(source[i:stop])
        i = stop
        if i >= n:
            break
        if source[i] == "&":
            # Only &lt; &gt; &amp; &quot; and numeric entities are decoded, as documented;
            # anything else stays literal text.
            match = _ENTITY_RE.match(source, i)
            if match and (match.group(1).startswith("#") or match.group(1) in _NAMED):
                out.add(html.unescape(match.group(0)))
                i = match.end()
            else:
                out.add("&")
                i += 1
            continue
        close = source.find(">", i)
        if close == -1:
            raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(source, i)}")
        inner = source[i + 1 : close]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise _entity_error(f"Unexpected end tag at byte offset {_byte_offset(source, i)}")
            open_name, start, attrs = stack.pop()
            if name != open_name:
                raise _entity_error(
                    f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            _close_html(out, open_name, start, attrs, stack)
        else:
            match = _TAG_NAME_RE.match(inner)
            name = match.group(0).lower() if match else ""
            if name not in _HTML_TAGS:
                raise _entity_error(
                    f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, i)}'
                )
            attrs = {
                m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
                for m in _ATTR_RE.finditer(inner, len(name))
            }
            attrs = {key: html.unescape(value) for key, value in attrs.items()}
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise _entity_error('Tag "span" must have class "tg-spoiler"')
            stack.append((name, out.pos, attrs))
        i = close + 1
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _close_html(
    out: _Builder,
    name: str,
    start: int,
    attrs: dict[str, str],
    stack: list[tuple[str, int, dict[str, str]]],
) -> None:
    kind = _HTML_TAGS[name]
    if kind == "text_link":
        href = attrs.get("href", "")
        if href:
            out.entity("text_link", start, url=href)
        return
    if kind == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language[len("language-") :]
            return
    if kind == "pre" and attrs.get("language"):
        out.entity("pre", start, language=attrs["language"])
        return
    if kind == "blockquote" and "expandable" in attrs:
        kind = "expandable_blockquote"
    if kind == "custom_emoji":
        out.entity(kind, start, custom_emoji_id=attrs.get("emoji-id", ""))
        return
    out.entity(kind, start)


def parse_markdown_v2(source: str) -> tuple[str, list[JSONDict]]:
    """MarkdownV2: every reserved character outside an entity must be escaped."""
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # marker, utf16 start, source index
    i, n = 0, len(source)
    at_line_start = True
    quote_start: int | None = None
    while i < n:
        ch = source[i]
        if at_line_start and ch == ">":
            if quote_start is None:
                quote_start = out.pos
            i += 1
            at_line_start = False
            continue
        at_line_start = False
        if ch == "\\" and i + 1 < n and ord(source[i + 1]) < 127:
            out.add(source[i + 1])
            i += 2
            continue
        if ch == "\n":
            # Consecutive ">" lines form one blockquote, newline included.
            if quote_start is not None and not source.startswith(">", i + 1):
                out.entity("blockquote", quote_start)
                quote_start = None
            out.add(ch)
            at_line_start = True
            i += 1
            continue
        if ch == "`":
            i = _md_code(source, i, out, v2=True)
            continue
        marker = ch
        if source.startswith("__", i):
            marker = "__"
        elif source.startswith("||", i):
            marker = "||"
        if marker in _MD_TYPES:
            if stack and stack[-1][0] == marker:
                _, start, _ = stack.pop()
                out.entity(_MD_TYPES[marker], start)
            elif any(entry[0] == marker for entry in stack):
                top = stack[-1]
                raise _entity_error(
                    f"Can't find end of {_MD_NAMES[top[0]]} entity at byte offset "
                    f"{_byte_offset(source, top[2])}"
                )
            else:
                stack.append((marker, out.pos, i))
            i += len(marker)
            continue
        if ch == "[":
            stack.append(("[", out.pos, i))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "[" and source.startswith("(", i + 1):
            _, start, _ = stack.pop()
            url, i = _md_url(source, i + 2)
            out.entity("text_link", start, url=url)
            continue
        if ch in _MDV2_RESERVED:
            raise _entity_error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        out.add(ch)
        i += 1
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        marker, _, index = stack[-1]
        raise _entity_error(
            f"Can't find end of {_MD_NAMES[marker]} entity at byte offset {_byte_offset(source, index)}"
        )
    return out.result()


def _md_code(source: str, i: int, out: _Builder, *, v2: bool) -> int:
    """Parse `code` or ```pre``` starting at *i*; returns the index after it."""
    fence = "```" if source.startswith("```", i) else "`"
    body_start = i + len(fence)
    j = body_start
    chars: list[str] = []
    while j < len(source):
        if v2 and source[j] == "\\" and j + 1 < len(source) and source[j + 1] in "`\\":
            chars.append(source[j + 1])
            j += 2
            continue
        if source.startswith(fence, j):
            break
        chars.append(source[j])
        j += 1
    else:
        kind = "Pre" if fence == "```" else "Code"
        raise _entity_error(
            f"Can't find end of {kind} entity at byte offset {_byte_offset(source, i)}"
            if v2
            else f"Can't find end of the entity starting at byte offset {_byte_offset(source, i)}"
        )
    body = "".join(chars)
    start = out.pos
    if fence == "```":
        language = ""
        first, sep, rest = body.partition("\n")
        if sep and first and not any(c.isspace() for c in first):
            language, body = first, rest
        out.add(body)
        if language:
            out.entity("pre", start, language=language)
        else:
            out.entity("pre", start)
    else:
        out.add(body)
        out.entity("code", start)
    return j + len(fence)


def _md_url(source: str, i: int) -> tuple[str, int]:
    """Read an inline URL up to the unescaped ``)``; returns (url, index after it)."""
    chars: list[str] = []
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            chars.append(source[i + 1])
            i += 2
            continue
        if ch == ")":
            return "".join(chars), i + 1
        chars.append(ch)
        i += 1
    raise _entity_error("Can't find end of a URL")


def parse_markdown(source: str) -> tuple[str, list[JSONDict]]:
    """Legacy Markdown: only ``*_`[`` are special, unclosed entities are errors."""
    out = _Builder()
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in "*_`[":
            out.add(source[i + 1])
            i += 2
        elif ch == "`":
            i = _md_code(source, i, out, v2=False)
        elif ch in "*_":
            end = source.find(ch, i + 1)
            if end == -1:
                raise _entity_error(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(source, i)}"
                )
            start = out.pos
            out.add(source[i + 1 : end])
            out.entity("bold" if ch == "*" else "italic", start)
            i = end + 1
        elif ch == "[":
            end = source.find("](", i + 1)
            if end == -1:
                out.add(ch)
                i += 1
                continue
            start = out.pos
            out.add(source[i + 1 : end])
            url, i = _md_url(source, end + 2)
            out.entity("text_link", start, url=url)
        else:
            nxt = min((x for x in (source.find(c, i) for c in "\\`*_[") if x != -1), default=n)
            stop = max(nxt, i + 1)
            out.add(source[i:stop])
            i = stop
    return out.result()


def parse_text(
    text: str, parse_mode: str | None, entities: list[JSONDict] | None = None
) -> tuple[str, list[JSONDict]]:
    """Apply *parse_mode* (case-insensitive like Telegram) or pass explicit entities through."""
    if not parse_mode:
        return text, list(entities or [])
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise bad_request(f"unsupported parse_mode {parse_mode}")
