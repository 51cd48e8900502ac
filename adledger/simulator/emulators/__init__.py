"""Loopback HTTP emulators of the ad-platform APIs, serving a simulated world's platform data.

    with serve(world_dir) as server:          # a free port on 127.0.0.1
        server.base_url("meta_ads")           # http://127.0.0.1:PORT/meta_ads
        server.credentials["meta_ads"]        # from DIR/emulator_secrets.toml
        server.set_faults("5xx=0.05,429=0.05")
        server.restate(3)

Each API lives under `/<dlt source name>` and answers on the real API's paths with the real field names,
types and auth style (the module docstrings cite the documentation followed). `docs/world.md` lists them.
"""

from __future__ import annotations

from pathlib import Path

from adledger.simulator.emulators.faults import FaultSpec
from adledger.simulator.emulators.server import EmulatorServer


def serve(world_dir: Path | str, host: str = "127.0.0.1", port: int = 0, faults: FaultSpec | str | None = None,
          page_sizes: dict[str, int] | None = None) -> EmulatorServer:
    """Start the emulators for `world_dir` in a background thread; use as a context manager or call `.close()`.

    `faults`: a `FaultSpec` or its text form (`"5xx=0.05,429=0.05,slow=0.01,truncate=0.01"`). `page_sizes`
    overrides fixed page sizes per source (e.g. Google's 10,000 rows) so tests can exercise paging.
    """
    spec = FaultSpec.parse(faults) if isinstance(faults, str) else faults
    return EmulatorServer(Path(world_dir), host=host, port=port, faults=spec, page_sizes=page_sizes).start()


__all__ = ["EmulatorServer", "FaultSpec", "serve"]
