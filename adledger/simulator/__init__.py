"""A seeded simulated marketing world with ground truth, and emulators of the ad-platform APIs.

`simulate(out_dir, days, seed, scale, start)` writes a world directory (format: `docs/world.md`);
`adledger.simulator.emulators.serve(world_dir)` serves its platform data the way the real APIs do.
"""

from __future__ import annotations

from adledger.simulator.generator import WorldManifest, simulate
from adledger.simulator.spec import DEFAULT_START

__all__ = ["DEFAULT_START", "WorldManifest", "simulate"]
