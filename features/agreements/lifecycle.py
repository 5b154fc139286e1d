"""Start-up and shut-down of the agreements feature (``services.features`` life hooks).

At start: the statute source, the render pool (spawned and warmed now, not on the first
request), the committee's seal (a key and self-signed certificate are generated in
``DATA_DIR/keys`` on first start unless ``MEDIATION_SEAL_KEY_FILE`` /
``MEDIATION_SEAL_CERT_FILE`` name existing PEM files) and the render job. The tables come from
the Alembic migrations, like every other table. Everything lands in ``shared.agreements``.

Tests and the demo may set ``shared.render_pool`` (and ``shared.sealer``) before start-up; a
given pool is used and left open for its owner.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from core.config import ConfigError, Settings
from documents.pool import RenderPool
from documents.seal import Sealer
from features.agreements.common import AgreementServices
from features.agreements.jobs import DocumentJobs
from legal_kb.statutes import LawsDbStatutes
from mediation.units import UnitDirectory
from services import features
from services.shared import FeatureHost

#: Environment variables of this feature (``MEDIATION_*`` reach ``Settings.extra``).
ENV_SEAL_KEY = "MEDIATION_SEAL_KEY_FILE"
ENV_SEAL_CERT = "MEDIATION_SEAL_CERT_FILE"
ENV_SEAL_PASSPHRASE = "MEDIATION_SEAL_KEY_PASSPHRASE"
ENV_WORKERS = "MEDIATION_RENDER_WORKERS"


def render_workers(settings: Settings) -> int:
    raw = settings.extra.get(ENV_WORKERS, "").strip()
    if not raw:
        return max(1, min(2, os.cpu_count() or 1))
    if not raw.isdigit() or not 1 <= int(raw) <= 32:
        raise ConfigError(ENV_WORKERS, "must be a whole number from 1 to 32")
    return int(raw)


def load_sealer(settings: Settings, units: UnitDirectory) -> Sealer:
    """The configured seal key and certificate, or the generated ones in DATA_DIR/keys."""
    key, cert = settings.extra.get(ENV_SEAL_KEY, ""), settings.extra.get(ENV_SEAL_CERT, "")
    if key or cert:
        if not (key and cert):
            raise ConfigError(ENV_SEAL_KEY, f"set both {ENV_SEAL_KEY} and {ENV_SEAL_CERT}")
        for variable, value in ((ENV_SEAL_KEY, key), (ENV_SEAL_CERT, cert)):
            if not Path(value).is_file():
                raise ConfigError(variable, f"no such file: {value}")
        passphrase = settings.extra.get(ENV_SEAL_PASSPHRASE, "").encode() or None
        return Sealer.from_files(Path(key), Path(cert), passphrase=passphrase)
    return Sealer.from_directory(settings.data_dir / "keys", organisation=units.default.name)


@features.on_start
async def start(host: FeatureHost) -> None:
    settings = host.settings
    statutes = LawsDbStatutes()
    given = host.shared.render_pool
    pool = given
    if pool is None:
        pool = RenderPool(render_workers(settings), statutes=statutes, timeout=120)
        await pool.start()
    sealer = host.shared.sealer
    if sealer is None:
        sealer = await asyncio.to_thread(load_sealer, settings, host.units)
    jobs = DocumentJobs(
        db=host.db,
        settings=settings,
        units=host.units,
        clock=host.clock,
        pool=pool,
        sealer=sealer,
        deliver=host.deliver,
        files=host.files,
        fetch=_channel_files(host),
    )
    host.shared.agreements = AgreementServices(
        settings, pool, sealer, statutes, jobs, owns_pool=given is None, files=host.files
    )
    await jobs.start()


@features.on_stop
async def stop(host: FeatureHost) -> None:
    services, host.shared.agreements = host.shared.agreements, None
    if services is None:
        return
    await services.jobs.stop()
    if services.owns_pool:
        await services.pool.close()
    if isinstance(services.statutes, LawsDbStatutes):
        services.statutes.close()


def _channel_files(host: FeatureHost) -> Callable[[str, str], Awaitable[bytes]]:
    """A file a person sent, read back from its channel through the fetchers the composition
    root registered (the voice feature's; looked up at call time, as it may start later)."""

    async def fetch(channel: str, ref: str) -> bytes:
        voice = host.shared.voice
        if voice is None:
            raise LookupError("no channel file fetcher is running")
        return await voice.fetch(channel, ref)

    return fetch
