"""The WeasyPrint side: runs only inside the spawn-based worker processes of the render pool.

WeasyPrint is CPU-bound and not thread-safe, so it never runs on the event loop. Each worker
keeps one :class:`FontConfiguration` and the parsed stylesheets for its whole life (reuse took
a 2-page agreement from ~270 ms to ~150 ms and kept worker RSS near 135 MB instead of swinging
to ~650 MB), and does one throw-away render at start so the first real request does not pay
for loading the CJK font.

Importing this module is cheap; WeasyPrint is imported by :func:`init_worker`.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from documents import fonts
from documents.errors import DocumentError

__all__ = [
    "RefusedURLError",
    "init_worker",
    "make_fetcher",
    "ping",
    "render_pdf",
    "worker_rss_kb",
]

_ASSET_SUFFIXES = (".css", ".png", ".svg")
_ASSET_TYPES = {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}
_WARM_HTML = '<html lang="zh-CN"><body><p>人民调解 0123456789 第1页</p></body></html>'
#: The one asset name under which the derived document font is served (documents.fonts).
_FONT_ASSET = "font:document.otf"
#: zlib level for the PDF's streams. pydyf hard-codes 9; on the 2-page agreement (a 252 KB
#: font subset and ~40 KB of page content) 9 costs ~14.6 ms of CPU per render and 6 costs
#: ~6.7 ms for a PDF 0.4 % (≈430 bytes) larger. Level 1 saves ~2 ms more but adds 4 %.
STREAM_ZLIB_LEVEL = 6


class RefusedURLError(DocumentError, ValueError):
    """The fetcher was asked for something other than our own assets or a data: URI."""


@dataclass
class _State:
    font_config: Any
    stylesheets: dict[str, Any]
    fetcher: Any


_STATE: _State | None = None
_FONT_PATH: Path | None = None


def _asset_bytes(name: str) -> bytes:
    """Read a packaged asset by bare file name; anything path-like is refused."""
    if (
        not name
        or "/" in name
        or "\\" in name
        or name.startswith(".")
        or not name.endswith(_ASSET_SUFFIXES)
    ):
        raise RefusedURLError(f"not a packaged asset: {name!r}")
    resource = resources.files("documents").joinpath("static", name)
    if not resource.is_file():
        raise RefusedURLError(f"no such asset: {name!r}")
    return resource.read_bytes()


def make_fetcher() -> Any:
    """Build the URL fetcher (a :class:`weasyprint.urls.URLFetcher` subclass instance)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class _AssetFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type hints
        """Serves ``data:`` URIs and ``asset:<name>`` files from documents/static; refuses
        ``file:``, ``http(s):`` and every other scheme.

        Refusals are fatal (``fail_on_errors``): a template asking for a remote resource is a
        bug to surface, not a warning to log while printing a document without it.
        """

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), fail_on_errors=True, timeout=1)

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)
            if url == "asset:" + _FONT_ASSET and _FONT_PATH is not None:
                body = _FONT_PATH.read_bytes()
                return URLFetcherResponse(url, body, {"Content-Type": "font/otf"})
            if scheme == "asset":
                name = url.split(":", 1)[1]
                suffix = name[name.rfind(".") :] if "." in name else ""
                body = _asset_bytes(name)
                return URLFetcherResponse(url, body, {"Content-Type": _ASSET_TYPES[suffix]})
            raise RefusedURLError(f"refused URL scheme {scheme or '(none)'!r}: {url[:80]}")

    return _AssetFetcher()


def _stylesheet_names() -> list[str]:
    folder = resources.files("documents").joinpath("static")
    return sorted(item.name for item in folder.iterdir() if item.name.endswith(".css"))


class _StreamZlib:
    """Stands in for the ``zlib`` module inside pydyf (which WeasyPrint writes PDFs with):
    the same functions, but ``compressobj`` at :data:`STREAM_ZLIB_LEVEL` instead of the
    ``level=9`` pydyf passes. Installed only in render processes (:func:`init_worker`)."""

    def __init__(self, level: int) -> None:
        self.level = level

    def compressobj(self, level: int = -1, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(self.level, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


def _tune_stream_compression(level: int = STREAM_ZLIB_LEVEL) -> None:
    import pydyf

    if getattr(pydyf, "zlib", None) is zlib or isinstance(
        getattr(pydyf, "zlib", None), _StreamZlib
    ):
        pydyf.zlib = _StreamZlib(level)


def init_worker(parent_pid: int | None = None) -> None:
    """Process-pool initializer: import WeasyPrint, parse CSS once, warm the fonts.

    ``parent_pid`` (given by the pool, not by in-process callers): end with that process.
    """
    global _STATE
    if parent_pid is not None:
        from core.lifeline import die_with_parent

        die_with_parent(parent_pid)
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    _tune_stream_compression()

    global _FONT_PATH
    _FONT_PATH = fonts.subset_path()
    font_config = FontConfiguration()
    fetcher = make_fetcher()
    stylesheets = {
        name: CSS(
            string=_with_document_font(name, _asset_bytes(name).decode("utf-8")),
            font_config=font_config,
            url_fetcher=fetcher,
        )
        for name in _stylesheet_names()
    }
    _STATE = _State(font_config=font_config, stylesheets=stylesheets, fetcher=fetcher)
    HTML(string=_WARM_HTML, url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheets["base.css"]], font_config=font_config
    )


def _with_document_font(name: str, css: str) -> str:
    """Put the smaller derived face (documents.fonts) before the system face, if it is built.

    The system face stays listed after it: a character the copy lacks falls back to it.
    """
    if _FONT_PATH is None:
        return css
    css = css.replace(f'"{fonts.SOURCE_FAMILY}"', f'"{fonts.FAMILY}", "{fonts.SOURCE_FAMILY}"')
    if name == "base.css":
        face = f'@font-face {{ font-family: "{fonts.FAMILY}"; src: url("asset:{_FONT_ASSET}"); }}'
        css = face + "\n" + css
    return css


def render_pdf(html: str, stylesheets: tuple[str, ...]) -> bytes:
    """Lay out checked HTML (from :class:`documents.render.DocumentRenderer`) as a PDF."""
    if _STATE is None:
        init_worker()
    assert _STATE is not None
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    sheets = [_STATE.stylesheets[name] for name in stylesheets]
    try:
        pdf: bytes = HTML(string=html, url_fetcher=_STATE.fetcher).write_pdf(
            stylesheets=sheets, font_config=_STATE.font_config
        )
    except FatalURLFetchingError as exc:
        # WeasyPrint's fatal fetch error derives from BaseException; callers catching
        # Exception (web handlers, the bot) must still see it, so re-raise as ValueError.
        raise RefusedURLError(str(exc.__cause__ or exc)) from None
    return pdf


def worker_rss_kb() -> tuple[int, int]:
    """``(pid, resident set size in KiB)`` of this worker, for benchmarks and health checks."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return os.getpid(), int(line.split()[1])
    return os.getpid(), 0


def ping() -> int:
    """Return the worker's pid (used to start and warm every worker)."""
    return os.getpid()
