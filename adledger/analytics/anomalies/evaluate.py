"""Detection quality over simulated worlds: generate, load, detect, score (the bench and the world test).

Each world is written by `adledger.simulator.simulate`, read back with `world.load_world` (no ground truth),
run through `detect`, and scored against its labelled incidents with `scoring.score`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from adledger.analytics.anomalies.detect import detect
from adledger.analytics.anomalies.records import FAMILY_OF
from adledger.analytics.anomalies.scoring import KIND_FAMILY, load_incidents, score, score_types
from adledger.analytics.anomalies.world import load_world


@dataclass
class Evaluation:
    """Recall per incident kind and precision per anomaly family, summed over worlds, with timings (seconds)."""

    recall: pd.DataFrame
    precision: pd.DataFrame
    anomalies: list[pd.DataFrame] = field(default_factory=list)
    types: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: dict[str, float] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per anomaly type family: incidents, found, recall, anomalies, matching, precision."""
        rec = self.recall.assign(family=self.recall["kind"].map(KIND_FAMILY)).set_index("family")
        pre = self.precision.set_index("family")
        out = rec.join(pre, how="outer").fillna({"incidents": 0, "found": 0, "anomalies": 0, "matching": 0})
        total = out[["incidents", "found", "anomalies", "matching"]].sum().rename("all")
        out = pd.concat([out, total.to_frame().T])
        out["recall"] = out["found"] / out["incidents"].where(out["incidents"] > 0)
        out["precision"] = out["matching"] / out["anomalies"].where(out["anomalies"] > 0)
        return out[["incidents", "found", "recall", "anomalies", "matching", "precision"]]

    def type_table(self) -> pd.DataFrame:
        """One row per anomaly type: the incidents of its family (over every world) it found on its own (recall),
        and its precision."""
        family_incidents = self.recall.assign(family=self.recall["kind"].map(KIND_FAMILY)).groupby("family")[
            "incidents"].sum()
        out = self.types.set_index("anomaly_type").sort_index()
        out["incidents"] = out.index.map(FAMILY_OF).map(family_incidents).fillna(0).astype(int)
        out["recall"] = out["found"] / out["incidents"].where(out["incidents"] > 0)
        out["precision"] = out["matching"] / out["anomalies"].where(out["anomalies"] > 0)
        return out[["incidents", "found", "recall", "anomalies", "matching", "precision"]]


def evaluate(seeds: Iterable[int], days: int, scale: float, workdir: Path, seeds_dir: Path,
             progress: Callable[[str], None] | None = None) -> Evaluation:
    """Generate one world per seed under `workdir`, detect anomalies in it and score them."""
    from adledger.simulator import simulate

    recalls, precisions, found, types = [], [], [], []
    seconds = {"simulate": 0.0, "load": 0.0, "detect": 0.0}
    for seed in seeds:
        world = Path(workdir) / f"world-{seed}"
        t0 = time.perf_counter()
        simulate(world, days=days, seed=seed, scale=scale)
        t1 = time.perf_counter()
        inputs = load_world(world, seeds_dir)
        t2 = time.perf_counter()
        anomalies = detect(inputs)
        t3 = time.perf_counter()
        seconds["simulate"] += t1 - t0
        seconds["load"] += t2 - t1
        seconds["detect"] += t3 - t2
        incidents = load_incidents(world)
        recall, precision = score(anomalies, incidents)
        types.append(score_types(anomalies, incidents))
        recalls.append(recall)
        precisions.append(precision)
        found.append(anomalies.assign(seed=seed))
        if progress:
            progress(f"seed {seed}: {len(anomalies)} anomalies")
    recall = pd.concat(recalls).groupby("kind", as_index=False)[["incidents", "found"]].sum()
    precision = pd.concat(precisions).groupby("family", as_index=False)[["anomalies", "matching"]].sum()
    by_type = pd.concat(types).groupby("anomaly_type", as_index=False)[["anomalies", "matching", "found"]].sum()
    return Evaluation(recall=recall, precision=precision, anomalies=found, types=by_type, seconds=seconds)
