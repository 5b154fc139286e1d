"""What the demo's scenes share (``app.demo``): the people and the narrator (:class:`Script`),
what the demo produced (:class:`DemoResult`, the PDFs written by :func:`write`), and a
hand-drawn signature for the pages that ask for one."""

from __future__ import annotations

import io
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.steps import wait_file, wait_text

if TYPE_CHECKING:
    from aiohttp import ClientSession

    from harness import RunningService
    from standin import StandinBotAPI
    from standin.models import SentMessage
    from standin.simulation import SimUser


DEMO_TOKEN = "123456:DEMO-token_for-the-standin"


CASE_NUMBER = re.compile(r"（\d{4}）示调字第\d+号")


FILES = {
    "mediation_application": "1-mediation_application-申请书.pdf",
    "mediation_record": "2-mediation_record-笔录.pdf",
    "mediation_agreement": "3-mediation_agreement_signed-协议书.pdf",
    "judicial_confirmation_application": "4-judicial_confirmation_application-司法确认申请书.pdf",
    "police_agreement": "5-police_agreement_signed-治安调解协议书.pdf",
}


@dataclass
class DemoResult:
    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    verify_url: str = ""


def handwriting_png(seed: int, width: int = 480, height: int = 180) -> bytes:
    """A pen-like scribble standing in for a finger signature on a phone canvas."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    points = []
    for i in range(220):
        t = i / 219
        x = 30 + t * (width - 60)
        y = height / 2 + 38 * math.sin(t * 11 + seed) * math.exp(-1.2 * t) + 14 * math.sin(t * 37)
        points.append((x, y))
    draw.line(points, fill=(20, 20, 60, 255), width=5, joint="curve")
    draw.line([(60, height * 0.78), (width - 80, height * 0.72)], fill=(20, 20, 60, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class Script:
    """The simulated people, a narrator and the stopwatch of the signing steps."""

    def __init__(
        self,
        service: RunningService,
        http: ClientSession,
        echo: Callable[[str], None],
        timings: dict[str, list[float]] | None,
    ) -> None:
        assert service.standin is not None
        self.standin: StandinBotAPI = service.standin
        self.runtime = service.runtime
        self.base_url = service.base_url
        self.http = http
        self.echo = echo
        self.timings = timings

    def say(self, text: str) -> None:
        self.echo(f"· {text}")

    async def wait(self, user: SimUser, needle: str, timeout: float = 60.0) -> SentMessage:  # noqa: ASYNC109
        return await wait_text(user, needle, timeout)

    async def file(self, user: SimUser, timeout: float = 90.0) -> SentMessage:  # noqa: ASYNC109
        return await wait_file(user, timeout)

    def took(self, what: str, since: float) -> None:
        """How long a signing step took, for the benchmark (``timings``)."""
        if self.timings is not None:
            self.timings.setdefault(what, []).append(time.perf_counter() - since)


@dataclass
class People:
    applicant: SimUser
    respondent: SimUser
    mediator: SimUser


def write(result: DemoResult, kind: str, data: bytes | None) -> None:
    if not data:
        raise RuntimeError(f"no file received for {kind}")
    path = result.out / FILES[kind]
    path.write_bytes(data)
    result.files[kind] = path
