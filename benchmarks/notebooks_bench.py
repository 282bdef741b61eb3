"""How long the study notebooks take, and how much memory their kernels use, on a large corpus.

    python benchmarks/notebooks_bench.py --articles 10000 --work /tmp/nb10k

builds a synthetic corpus with ``bench.build_corpus`` (seed lines resampled, fixed seed)
and gives every article an outlet (one of six), a genre and a date (spread over two
years), so that the charts for many articles, for outlets and for dates are drawn; scores
it with ``framing score --jobs 2`` (not timed here; ``make bench`` times scoring); then
executes notebooks 01-04 against the results, one fresh kernel each, on copies whose
``parameters`` cell is rewritten, with ``FRAMING_FIGURES`` in the work folder so the
committed figures are untouched. Prints wall time per notebook and the peak resident
memory of each notebook's kernel (``RUSAGE_CHILDREN`` of a process that runs only it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import build_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUTLETS = ["Northern Wire", "Harbour Gazette", "Capital Review", "Eastern Daily", "Plains Herald",
           "Coastal Times"]
GENRES = ["news", "analysis", "opinion"]


def add_metadata(path: Path, seed: int = 1) -> None:
    """Give each JSONL record an outlet, a genre and a date (2024-01-01 .. 2025-12-31)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            record["outlet"] = OUTLETS[int(rng.integers(len(OUTLETS)))]
            record["genre"] = GENRES[int(rng.integers(len(GENRES)))]
            record["date"] = str(start + np.timedelta64(int(rng.integers(0, 731)), "D"))
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def parameterise(source: Path, dest: Path, values: dict) -> None:
    """Copy notebook ``source`` to ``dest`` with its parameters cell set to ``values``."""
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = "\n".join(f"{k} = {v!r}" for k, v in values.items())
    nbformat.write(notebook, dest)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-score", action="store_true", help="reuse WORK/results")
    parser.add_argument("--score-only", action="store_true", help="build and score, execute nothing")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    corpus, results = work / "corpus.jsonl", work / "results"
    if not args.skip_score:
        build_corpus(args.articles, corpus)
        add_metadata(corpus)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "framing.cli", "score", str(corpus), "--out", str(results),
                        "--jobs", str(args.jobs)], check=True)
        print(f"scored {args.articles} articles in {time.perf_counter() - t0:.1f} s")
    if args.score_only:
        return 0
    if not args.skip_score:  # measure the kernels alone: RUSAGE_CHILDREN would count the scorers
        return subprocess.run([sys.executable, __file__, "--articles", str(args.articles), "--work",
                               str(work), "--skip-score"]).returncode
    os.environ["FRAMING_FIGURES"] = str(work / "figures")
    folder = work / "notebooks"
    folder.mkdir(exist_ok=True)
    values = {"CORPUS": str(corpus), "RESULTS": str(results), "TARGET": "RUS",
              "TITLE": f"{args.articles:,} synthetic articles"}
    total, peaks = 0.0, []
    for source in sorted((ROOT / "notebooks").glob("0[1-4]_*.ipynb")):
        dest = folder / source.name
        parameterise(source, dest, values)
        # one process per notebook, so that RUSAGE_CHILDREN is that notebook's kernel alone
        code = ("import resource, sys; from framing.notebooks import execute; execute(sys.argv[1]); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code, str(dest)], check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        peak = int(done.stdout.split()[-1]) / 1024
        total += seconds
        peaks.append(peak)
        print(f"{source.name}: {seconds:.1f} s, kernel peak RSS {peak:.0f} MB")
    print(f"notebooks 01-04: {total:.1f} s in all; largest kernel peak RSS {max(peaks):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
