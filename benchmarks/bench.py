"""Throughput and peak memory of ``framing score`` against the pipelines it replaces.

Run by hand (not part of the test suite)::

    python benchmarks/bench.py --articles 10000 --jobs 2            # the comparison
    python benchmarks/bench.py --articles 100000 --jobs 2 --only framing --repeat 1
    python benchmarks/bench.py --profile 2000                       # cProfile of --jobs 1

A synthetic corpus of N articles is made by resampling lines of the seed articles
(``seeds/*.txt``) with ``numpy.random.default_rng(0)``: each article gets as many lines
as a seed article, drawn from the seeds' line counts, so articles have about a seed's
length. It is written as JSON Lines (``id``, ``text``) in a temporary folder.

Every pipeline runs as its own subprocess, ``--repeat`` times (median reported):

``framing``     ``framing score CORPUS --out DIR --jobs J`` (the real CLI)
``framing1``    the same with ``--jobs 1`` (same CPU budget as the baselines)
``obvious``     spaCy sentencizer + one regex per country + VADER (``baseline.py obvious``)
``vader``       VADER alone on every sentence (``baseline.py vader``)

Wall time is end to end (interpreter start, imports, reading, writing). Peak memory is
reported two ways: ``maxrss``, the largest resident set of any single process of the run
(``ru_maxrss`` from GNU ``/usr/bin/time`` where present, else ``os.wait4``; it covers
waited-for worker processes, but is the largest one, not their sum), and ``tree``,
the largest sum of proportional set sizes (PSS: a page shared by k processes counts 1/k
in each, so forked workers are not double-counted) over the process and all its
descendants, sampled from /proc/PID/smaps_rollup every 50 ms or, for large processes
whose smaps are slow to read, less often (a short peak can be missed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
BASELINE = Path(__file__).resolve().parent / "baseline.py"
PIPELINES = ("framing", "framing1", "obvious", "vader")
TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() and sys.platform.startswith("linux") else None


# -- corpus -----------------------------------------------------------------------------

def seed_lines(seeds: Path = SEEDS) -> tuple[list[str], list[int]]:
    """All non-blank lines of the seed articles, and each seed's number of such lines."""
    lines, counts = [], []
    for path in sorted(seeds.glob("*.txt")):
        own = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        lines.extend(own)
        counts.append(len(own))
    if not lines:
        raise SystemExit(f"no seed articles in {seeds}")
    return lines, counts


def build_corpus(n: int, path: Path, seed: int = 0, txt_folder: Path | None = None) -> int:
    """Write ``n`` synthetic articles to ``path`` (JSONL); return their number of words."""
    rng = np.random.default_rng(seed)
    lines, counts = seed_lines()
    words = 0
    if txt_folder is not None:
        txt_folder.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            k = int(rng.choice(counts))
            text = "\n".join(lines[j] for j in rng.integers(0, len(lines), size=k))
            words += len(text.split())
            article_id = f"a{i:07d}"
            handle.write(json.dumps({"id": article_id, "text": text}, ensure_ascii=False) + "\n")
            if txt_folder is not None:
                (txt_folder / f"{article_id}.txt").write_text(text, encoding="utf-8")
    return words


# -- running and measuring ----------------------------------------------------------------

@dataclass
class Run:
    seconds: float
    maxrss_mb: float
    tree_mb: float


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    stack.extend(int(c) for c in handle.read().split())
        except OSError:
            pass
    return found


def _pss_kb(pid: int) -> int:
    """Proportional set size: pages shared with forked workers are split between them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(cmd: list[str], log: Path) -> Run:
    """Run ``cmd``; wall seconds, its ru_maxrss (MB) and its sampled process-tree peak PSS (MB)."""
    # ru_maxrss survives exec: a child forked from this (numpy-sized) process would report
    # at least our own RSS. GNU time is a tiny process, so fork from it when it is there.
    rss_file = log.with_suffix(".maxrss")
    if TIME:
        cmd = [TIME, "-f", "%M", "-o", str(rss_file)] + cmd
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        peak = [0]
        done = threading.Event()

        def sample():
            # reading smaps_rollup costs ~15 ms per 600 MB process: keep the sampler under
            # ~5% of a core by waiting 20x as long as a sample took (at least 50 ms)
            can_sample = Path(f"/proc/{proc.pid}").exists()
            while can_sample and not done.is_set():
                t0 = time.perf_counter()
                peak[0] = max(peak[0], sum(_pss_kb(p) for p in _descendants(proc.pid)))
                done.wait(max(0.05, 20 * (time.perf_counter() - t0)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    if TIME:
        maxrss_kb = int(rss_file.read_text().split()[-1])
    else:
        maxrss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return Run(seconds, maxrss_kb / 1024, peak[0] / 1024)


def framing_cmd(corpus: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-c", "import sys; from framing.cli import main; sys.exit(main())",
            "score", str(corpus), "--out", str(out), "--jobs", str(jobs), "--no-progress"]


def command(name: str, corpus: Path, work: Path, jobs: int, run: int) -> list[str]:
    out = work / f"{name}-{run}"
    if name == "framing":
        return framing_cmd(corpus, out, jobs)
    if name == "framing1":
        return framing_cmd(corpus, out, 1)
    return [sys.executable, str(BASELINE), name, str(corpus), str(out) + ".csv"]


def _clean(work: Path, name: str, run: int) -> None:
    shutil.rmtree(work / f"{name}-{run}", ignore_errors=True)
    (work / f"{name}-{run}.csv").unlink(missing_ok=True)


def _revision() -> str:
    """The commit measured, and whether framing/ has uncommitted changes (read-only git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "framing"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in framing/" if dirty else "")


# -- profile ------------------------------------------------------------------------------

def profile(n: int, work: Path, top: int = 15) -> None:
    """cProfile ``framing score`` with ``--jobs 1`` on ``n`` articles; print the top functions."""
    import pstats

    corpus = work / "corpus.jsonl"
    words = build_corpus(n, corpus)
    stats_file = work / "framing.prof"
    # cProfile has no -c: profile a tiny driver script
    driver = work / "driver.py"
    driver.write_text("import sys\nfrom framing.cli import main\nsys.exit(main())\n")
    cmd = [sys.executable, "-m", "cProfile", "-o", str(stats_file), str(driver),
           "score", str(corpus), "--out", str(work / "profile-out"), "--jobs", "1", "--no-progress"]
    run = measure(cmd, work / "profile.log")
    print(f"profile: {n} articles, {words} words, {run.seconds:.1f} s under cProfile (--jobs 1)\n")
    for key, restriction in (("cumulative", "framing/"), ("tottime", "")):
        where = f" in {restriction}" if restriction else ""
        print(f"== top {top} by {key}{where} ==")
        stats = pstats.Stats(str(stats_file)).sort_stats(key)
        stats.print_stats(*([restriction] if restriction else []), top + 10 if restriction else top)


# -- main ---------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000, help="articles in the corpus (default 10000)")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs for framing (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per pipeline; the median is reported")
    parser.add_argument("--only", default=",".join(PIPELINES),
                        help=f"comma-separated pipelines to run (default {','.join(PIPELINES)})")
    parser.add_argument("--txt", action="store_true", help="also write the corpus as a folder of .txt")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    parser.add_argument("--profile", type=int, default=None, metavar="N",
                        help="instead: cProfile framing score --jobs 1 on N articles")
    args = parser.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="framing-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.profile:
            profile(args.profile, work)
            return 0
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = set(names) - set(PIPELINES)
        if unknown:
            parser.error(f"unknown pipelines {sorted(unknown)}; choose from {PIPELINES}")
        corpus = work / "corpus.jsonl"
        t0 = time.perf_counter()
        words = build_corpus(args.articles, corpus, txt_folder=work / "corpus" if args.txt else None)
        print(f"corpus: {args.articles} articles, {words} words ({words / args.articles:.0f}/article), "
              f"{corpus.stat().st_size / 2**20:.1f} MB, built in {time.perf_counter() - t0:.1f} s")
        print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"load {os.getloadavg()[0]:.1f}; code: {_revision()}")
        runs: dict[str, list[Run]] = {n: [] for n in names}
        # interleave the pipelines so that background load hits them alike
        for r in range(args.repeat):
            for name in names:
                runs[name].append(measure(command(name, corpus, work, args.jobs, r), work / f"{name}-{r}.log"))
                _clean(work, name, r)
                last = runs[name][-1]
                print(f"  run {r + 1}/{args.repeat} {name:9s} {last.seconds:7.1f} s "
                      f"maxrss {last.maxrss_mb:6.0f} MB tree PSS {last.tree_mb:6.0f} MB", flush=True)
        median = {n: Run(*(statistics.median(getattr(x, f) for x in rs) for f in ("seconds", "maxrss_mb", "tree_mb")))
                  for n, rs in runs.items()}
        labels = {"framing": f"framing score --jobs {args.jobs}", "framing1": "framing score --jobs 1",
                  "obvious": "obvious (spaCy+regex+VADER)", "vader": "VADER alone"}
        print(f"\nmedian of {args.repeat} ({args.articles} articles, {words} words)")
        print(f"{'pipeline':32s} {'seconds':>8s} {'words/s':>9s} {'maxrss MB':>10s} {'tree PSS MB':>12s}")
        for name, m in median.items():
            print(f"{labels[name]:32s} {m.seconds:8.1f} {words / m.seconds:9.0f} {m.maxrss_mb:10.0f} {m.tree_mb:12.0f}")
        print()
        for name in ("framing", "framing1"):
            if name not in median:
                continue
            for other in ("obvious", "vader"):
                if other in median:
                    ratio = median[other].seconds / median[name].seconds
                    print(f"throughput {labels[name]} / {labels[other]}: {ratio:.2f}x "
                          f"(cost {1 / ratio:.2f}x)")
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
