#!/usr/bin/env python3
"""Eidolon acceptance statistics with enough toolbox runs, for EidolonStatisticsTests (OODBENCH_ALL_GOLDENS=1).

Why: shared/reference-data/eidolon-goldens/acceptance_stats.json takes its ranges from 5 unseeded runs per condition.
For eidolon I (the coherent field has only a few coarse components) that under-samples the run-to-run spread: the
toolbox itself, seeded as OODBench's test seeds it, lands outside two of those ranges (img1/eidolonI/4-10-10,
img2/eidolonI/64-10-10). This script runs the same toolbox (Eidolon pull request #1, ported to Python 3 by
shared/tools/make_eidolon_goldens.py, whose functions it imports; no toolbox code is stored here) and writes, per
picture and condition of that file:
  - "runs": RUNS runs with the seeds 100000 + 1000·k + r (k: the condition's index in sorted order, r: the run),
    their min, max, mean and the accept range [min − margin, max + margin] with the margins of the shared generator
    (statistics named mean*: max(0.5, spread); others: max(0.5, 1.5·spread, 0.05·max));
  - "test_seeds": the six statistics at the four seeds the Swift test uses (1000 + 7919·run + k), which the Swift
    factory must reproduce (seeded outputs are pixel-identical).

Usage: make_acceptance_stats.py EIDOLON_PR1_CHECKOUT GHD_CHECKOUT SHARED_DIR OUT_JSON [--runs 20] [--part I/N]
  (EIDOLON_PR1_CHECKOUT: gestaltrevision/Eidolon at 8af01f42; GHD_CHECKOUT: rgeirhos/generalisation-humans-DNNs at
  0b883435; SHARED_DIR: ../shared.) Needs numpy and Pillow (used: numpy 2.4.6, Pillow 13.0.0, Python 3.11.7).
  About 75 s per condition on one core (1 h for the 48). `--part I/N` makes every N-th condition from the I-th
  (1-based), so N processes share the work; `--merge OUT_JSON PART_JSON…` joins their files.
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
from PIL import Image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("eidolon_checkout")
    ap.add_argument("ghd_checkout")
    ap.add_argument("shared")
    ap.add_argument("out_json")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--part", default="1/1")
    args = ap.parse_args()
    part, parts = map(int, args.part.split("/"))
    sys.path.insert(0, os.path.join(args.shared, "tools"))
    import make_eidolon_goldens as mk

    goldens = os.path.join(args.shared, "reference-data", "eidolon-goldens")
    keys = sorted(json.load(open(os.path.join(goldens, "acceptance_stats.json")))["stats"].keys())
    workdir = tempfile.mkdtemp(prefix="eidolon_py3_")
    tempfile.tempdir = workdir  # the wrapper leaves a temporary PNG per call
    pic, scl, _, hel, wr = mk.port_toolbox(args.eidolon_checkout, args.ghd_checkout, workdir)
    names = ["mean256", "std256", "mad_vs_fiducial256", "mean224", "std224", "mad_vs_fiducial224"]
    coherence = {"eidolonI": 1.0, "eidolonII": 0.3, "eidolonIII": 0.0}
    out = {}
    for k, key in enumerate(keys):
        if k % parts != part - 1:
            continue
        image, dataset, condition = key.split("/")
        reach = float(condition.split("-")[0])
        rgb = np.asarray(Image.open(os.path.join(goldens, "inputs", image + ".png")).convert("RGB"))
        fid = np.asarray(Image.open(os.path.join(goldens, image, "fiducial256.png"))).astype(np.float64)
        fid224 = mk.to224(fid.astype(np.uint8)).astype(np.float64)

        def statistics(seed):
            np.random.seed(seed)
            o, _ = mk.run_eidolon(pic, scl, hel, wr, rgb / 255.0, reach, coherence[dataset], mk.GRAIN)
            o224 = mk.to224(o).astype(np.float64)
            o = o.astype(np.float64)
            return [o.mean(), o.std(), np.abs(o - fid).mean(), o224.mean(), o224.std(), np.abs(o224 - fid224).mean()]

        rows = np.array([statistics(100000 + 1000 * k + r) for r in range(args.runs)])
        entry = {"runs": {}, "test_seeds": {}}
        for i, name in enumerate(names):
            lo, hi = float(rows[:, i].min()), float(rows[:, i].max())
            spread = hi - lo
            margin = max(0.5, spread) if name.startswith("mean") else max(0.5, 1.5 * spread, 0.05 * hi)
            entry["runs"][name] = {"min": lo, "max": hi, "mean": float(rows[:, i].mean()),
                                   "accept_range": [lo - margin, hi + margin]}
        for run in range(4):
            seed = 1000 + 7919 * run + k
            entry["test_seeds"][str(seed)] = dict(zip(names, map(float, statistics(seed))))
        out[key] = entry
        print(key, {n: round(entry["runs"][n]["mean"], 3) for n in names}, flush=True)
    tmp = args.out_json + ".tmp"
    with open(tmp, "w") as fh:
        json.dump({"runs_per_condition": args.runs, "seeds": "100000 + 1000*k + r (k: index of the sorted key)",
                   "toolbox": "gestaltrevision/Eidolon pull/1/head 8af01f42, Python-3 port of shared/tools",
                   "stats": out}, fh, indent=1, sort_keys=True)
    os.replace(tmp, args.out_json)


def merge(out_json, part_jsons):
    merged = None
    for path in part_jsons:
        data = json.load(open(path))
        if merged is None:
            merged = data
        else:
            merged["stats"].update(data["stats"])
    tmp = out_json + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(merged, fh, indent=1, sort_keys=True)
    os.replace(tmp, out_json)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--merge":
        merge(sys.argv[2], sys.argv[3:])
    else:
        main()
