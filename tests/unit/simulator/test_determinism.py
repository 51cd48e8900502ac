"""Same seed, same bytes; another seed, another world."""

from __future__ import annotations

import hashlib
from pathlib import Path

from adledger.simulator import simulate

TINY = {"days": 3, "scale": 0.02}


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_worlds_and_another_seed_differs(tmp_path: Path):
    a = simulate(tmp_path / "a", seed=11, **TINY)
    b = simulate(tmp_path / "b", seed=11, **TINY)
    c = simulate(tmp_path / "c", seed=12, **TINY)
    ha, hb, hc = _hashes(tmp_path / "a"), _hashes(tmp_path / "b"), _hashes(tmp_path / "c")
    assert len(ha) > 60 and any(k.startswith("tracker/") for k in ha)
    assert ha == hb
    assert a.counts == b.counts
    tracker = [k for k in ha if k.startswith("tracker/")]
    assert sum(ha[k] != hc.get(k) for k in tracker) == len(tracker)  # every log file differs
    assert a.counts != c.counts


def test_simulate_replaces_an_existing_world_and_validates_arguments(tmp_path: Path):
    import pytest

    simulate(tmp_path / "w", seed=1, **TINY)
    (tmp_path / "w" / "stray.txt").write_text("left over")
    simulate(tmp_path / "w", seed=1, **TINY)
    assert not (tmp_path / "w" / "stray.txt").exists()
    with pytest.raises(ValueError, match="days"):
        simulate(tmp_path / "x", days=0)
    with pytest.raises(ValueError, match="scale"):
        simulate(tmp_path / "x", scale=0)
