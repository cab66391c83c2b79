"""Streamed and partitioned generation on UCI Adult: speed, memory, reproducibility.

Run ``python benchmarks/bench_scale.py [--quick] [--rows N] [--workers K]
[--device D] [--seed S]``. Writes benchmarks/results/scale.{json,md}.

A sampler is fitted once on the complete Adult training rows (default networks,
``--epochs`` epochs: generation speed does not depend on how long it trained) and
saved. Each measurement then runs in a fresh process that loads it, so that its
peak resident memory is its own:

- ``sample_to_parquet`` of ``--rows`` rows into one file, on one process;
- ``sample_partitions`` of the same rows on a ``LocalCluster`` of ``--workers``
  single-threaded worker processes;
- the same small dataset from the same seed on 1 and on ``--workers`` workers,
  compared file by file.
"""

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from _common import parser, run_script, write_results

from fairsynth import FairGANSampler
from fairsynth.datasets import load_adult

STREAM = """
import json, resource, sys, time
from fairsynth import FairGANSampler
sampler = FairGANSampler.load(sys.argv[1], device=sys.argv[4])
start = time.perf_counter()
sampler.sample_to_parquet(sys.argv[2], int(sys.argv[3]), seed=0)
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))
"""

PARTITIONS = """
import json, resource, sys, time
from dask.distributed import Client, LocalCluster
from fairsynth import FairGANSampler
from fairsynth.sampler import sample_partitions
sampler = FairGANSampler.load(sys.argv[1], device=sys.argv[5])
import dask
# Dask's default MALLOC_TRIM_THRESHOLD_ slows generation 2-3x (see sample_partitions).
untrimmed = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
with dask.config.set(untrimmed), LocalCluster(
        n_workers=int(sys.argv[4]), threads_per_worker=1, dashboard_address=":0"
) as cluster, Client(cluster) as client:
    client.run(lambda: __import__("fairsynth.sampler"))  # imports out of the timing
    start = time.perf_counter()
    sample_partitions(sampler, sys.argv[2], int(sys.argv[3]), seed=0, client=client)
    seconds = time.perf_counter() - start
    workers = client.run(
        lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
print(json.dumps({"seconds": seconds, "peak_mb": max(workers.values()),
                  "client_peak_mb":
                      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def fit_and_save(args, folder):
    X, y = load_adult(subset="train", return_X_y=True)
    complete = X.notna().all(axis=1)
    sampler = FairGANSampler(
        sensitive="sex", epochs=args.epochs, device=args.device, random_state=args.seed
    )
    start = time.perf_counter()
    sampler.fit(X[complete], y[complete])
    print(f"fitted in {time.perf_counter() - start:.0f} s", flush=True)
    path = folder / "sampler.zip"
    sampler.save(path)
    return path


def digests(folder):
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(folder).iterdir())
    }


def main():
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--rows", type=int, default=20_000_000, help="rows to generate")
    args.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    args.add_argument("--epochs", type=int, default=1, help="epochs of the fit")
    args = args.parse_args()
    rows = 1_000_000 if args.quick else args.rows
    folder = Path(tempfile.mkdtemp(prefix="fairsynth-scale-"))
    try:
        model = fit_and_save(args, folder)
        results = []
        streamed = run_script(STREAM, model, folder / "one.parquet", rows, args.device)
        results.append({"run": "sample_to_parquet, one process", **streamed})
        print(results[-1], flush=True)
        spread = run_script(
            PARTITIONS, model, folder / "dataset", rows, args.workers, args.device
        )
        results.append({"run": f"sample_partitions, {args.workers} workers", **spread})
        print(results[-1], flush=True)
        small = min(rows, 1_000_000)
        for workers in (1, args.workers):
            run_script(PARTITIONS, model, folder / f"w{workers}", small, workers, "cpu")
        same = digests(folder / "w1") == digests(folder / f"w{args.workers}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for row in results:
        row["rows"] = rows
        row["rows_per_s"] = rows / row["seconds"]
    threads = os.environ.get("OMP_NUM_THREADS", "all")
    notes = [
        f"{rows:,} rows of Adult (sensitive sex), a sampler of the default networks "
        f"fitted for {args.epochs} epoch(s), seed {args.seed}, device {args.device}, "
        f"OMP_NUM_THREADS={threads}; each run in a fresh process that loads the "
        "saved sampler, chunks of 100,000 rows.",
        "peak_mb: the largest resident memory of the generating process (for Dask, "
        "of the busiest worker; client_peak_mb is the process that sent the sampler).",
        f"The same {small:,}-row dataset from seed 0 on 1 and on {args.workers} "
        f"workers, file by file (SHA-256): {'identical' if same else 'DIFFERENT'}.",
    ]
    write_results("scale", results, notes, extra={"same_on_1_and_k_workers": same})


if __name__ == "__main__":
    main()
