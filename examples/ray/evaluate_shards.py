"""Sharded `oodbench evaluate` on a Ray cluster: one task per shard, then `oodbench merge` and `report`.

    pip install ray
    python examples/ray/evaluate_shards.py --shards 8 --model efficientnet-lite0 --runs /shared/runs/e0

Every node needs the `oodbench` binary on PATH and --runs on a shared file system. Shards are deterministic
(trial p belongs to shard p mod N), so a failed task is simply retried and resumes from its partial CSV.
"""
import argparse
import subprocess

import ray


@ray.remote(num_cpus=2, max_retries=3)
def evaluate_shard(index: int, count: int, model: str, datasets: list, out: str) -> str:
    subprocess.run(["oodbench", "evaluate", "--model", model, "--dataset", *datasets,
                    "--shard", f"{index}/{count}", "--jobs", "2", "--out", out], check=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--model", default="efficientnet-lite0")
    parser.add_argument("--datasets", nargs="+", default=["edge", "silhouette", "cue-conflict"])
    parser.add_argument("--runs", required=True, help="shared folder for the shard outputs")
    args = parser.parse_args()
    ray.init()
    folders = ray.get([evaluate_shard.remote(i, args.shards, args.model, args.datasets, f"{args.runs}/shard-{i}")
                       for i in range(args.shards)])
    subprocess.run(["oodbench", "merge", *folders, "--out", f"{args.runs}/merged"], check=True)
    subprocess.run(["oodbench", "report", f"{args.runs}/merged", "--out", f"{args.runs}/report"], check=True)


if __name__ == "__main__":
    main()
