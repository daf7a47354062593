"""Speed at every size: build, load, query, ``match --org`` and ``batch`` on synthetic profile sets.

For each size, a synthetic profile set (benchmarks/synthetic.py) is built into a store with the library
code, then each step runs in its own process so that its peak memory is its own:

    build_s               matcher.index.stream.build_store writing the store as the profiles are generated, one chunk
                          at a time (generate_s, the generator's own time, not included); a bar on a terminal
    load_s                opening the store (memory-mapped arrays) in a fresh process, its files first dropped
                          from the page cache (``evict_store``): the query phase starts from the disk
    engine                "compiled" where numba is installed (pip install . does, where it has wheels), else "numpy"
    query_p50/p95_ms      one organisation's reciprocal top 10 in process (Ranking.top_partners), that engine
    query_again_p50_ms    the same queries run a second time (the pages they read already in memory)
    numpy_query_p50_ms    the same queries with the numpy engine (the one ``match`` uses), same process
    explain_p50_ms        the same with the explanations ``match`` prints (Matcher.match)
    cli_s                 ``matcher match --org NAME --profiles STORE`` as a fresh process (median of 3, after
                          one that warms the page cache; matcher's bytecode compiled first, as pip does)
    batch_s               every organisation's top 10 in process (matcher.batch.local.all_top_partners, all cores,
                          the compiled kernel loaded where numba is installed)
    batch_cli_s           ``matcher batch`` writing them to CSV, as a fresh process
    batch_estimate_s      above --batch-max: batch_s extrapolated from --batch-sample random organisations
    dask1_s, dask2_s      with --dask: ``matcher batch --dask local:1`` and ``local:2`` as fresh processes (cluster
                          start included), and whether each wrote the same bytes as ``batch_cli_s``'s run
    peak_mb               the largest resident memory of the query, CLI and batch processes
    build_peak_mb         the same for the build process, and build_worker_peak_mb for the largest of its
                          build_workers analysis processes (the build's memory is at most the first plus
                          the second times the number of workers)
    baseline_query_p50_ms the same top 10 by scikit-learn cosine over the full matrices (a full scan)
    rank_bm25_query_p50_ms  rank_bm25 (BM25Okapi) scores in both directions, on sizes up to --bm25-max

The baseline's top 10 is compared with the matcher's for every sampled query ("exact": true when all agree),
and the two engines' results with each other ("engines_agree": same rows, bit-identical scores).

    python benchmarks/scale.py --sizes 1000,100000 --json scale.json

1,000,000 is opt-in (give it in --sizes); --no-batch skips the all-pairs step.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_build(n: int, store: Path, seed: int, workers: int | None = None) -> dict:
    """The streaming build (matcher.index.stream.build_store) of the synthetic profiles as they are generated."""
    import click
    import synthetic

    from matcher.index.stream import build_store

    generating = [0.0]

    def timed(items):
        it = iter(items)
        while True:
            t = time.perf_counter()
            item = next(it, None)
            generating[0] += time.perf_counter() - t
            if item is None:
                return
            yield item

    t0 = time.perf_counter()
    bar = click.progressbar(length=2 * n, label="Building", file=sys.stderr) if sys.stderr.isatty() else None
    with bar if bar is not None else contextlib.nullcontext():
        summary = build_store(
            timed(synthetic.iter_profiles(n, seed)),
            store,
            store={"synthetic": n, "seed": seed},
            progress=bar.update if bar is not None else None,
            workers=workers,
        )
    total = time.perf_counter() - t0
    return {
        "generate_s": generating[0],
        "build_s": total - generating[0],
        "terms": summary["terms"],
        "statements": summary["statements"],
        "store_mb": sum(f.stat().st_size for f in store.iterdir()) / 2**20,
        "build_peak_mb": peak_mb(),
        "build_workers": summary["workers"],
        "build_worker_peak_mb": summary["worker_peak_mb"],
        "build_steps_s": summary["seconds"],
    }


def _baseline(index):
    """A plain full scan: scikit-learn's linear_kernel (cosine, as the rows are L2-normalised) of the
    organisation against every row of the capability and need matrices, combined, then ranked."""
    from sklearn.metrics.pairwise import linear_kernel

    from matcher.ranking.score import combine, top_k

    C, N = index.org_vectors[0].to_scipy(), index.org_vectors[1].to_scipy()
    has_needs = index.has_needs

    def query(a: int) -> tuple[np.ndarray, np.ndarray]:
        forward = linear_kernel(N[a], C).ravel()
        backward = linear_kernel(C[a], N).ravel()
        score, _, _ = combine(forward, backward, bool(has_needs[a]), has_needs)
        score[a] = 0.0
        best = top_k(score, 10)
        return best, score[best]

    return query


def _rank_bm25(index, queries: list[int], budget_s: float):
    """rank_bm25's BM25Okapi over each organisation's capability text, and over its need text."""
    from rank_bm25 import BM25Okapi

    def doc(o: int, side: int) -> list[str]:
        p = index.profiles[o]
        return index.analyzer(" ".join(p.capabilities if side == 0 else p.needs))

    t0 = time.perf_counter()
    cap = BM25Okapi([doc(o, 0) for o in range(index.n_orgs)])
    need = BM25Okapi([doc(o, 1) for o in range(index.n_orgs)])
    build_s = time.perf_counter() - t0
    times = []
    for a in queries:
        t = time.perf_counter()
        cap.get_scores(doc(a, 1))
        need.get_scores(doc(a, 0))
        times.append(time.perf_counter() - t)
        if sum(times) > budget_s:
            break
    return build_s, times


def phase_query(store: Path, n_queries: int, seed: int, bm25: bool, baseline: bool) -> dict:
    t0 = time.perf_counter()
    from matcher.workspace import open_workspace

    catalog = open_workspace(store)
    matcher = catalog.matcher
    load_s = time.perf_counter() - t0
    index = matcher.index
    rng = np.random.default_rng(seed)
    queries = [int(x) for x in rng.choice(index.n_orgs, min(n_queries, index.n_orgs), replace=False)]
    names = [index.profiles[a].name for a in queries]
    from matcher.ranking.score import compiled_kernel

    engine = "compiled" if compiled_kernel() is not None else "numpy"
    plain = type(matcher)(index, compiled=False)
    for a in queries[:5]:  # warm up: first-touch page faults of the memory-mapped arrays, compiling
        matcher.ranking.top_partners(a)
        plain.ranking.top_partners(a)
    ours, times, numpy_times, agree = [], [], [], True
    for a in queries:
        t = time.perf_counter()
        ours.append(matcher.ranking.top_partners(a, top=10))
        times.append(time.perf_counter() - t)
    warm = []  # the same queries again, the pages they read now in memory: what the disk costs the first pass
    for a in queries:
        t = time.perf_counter()
        matcher.ranking.top_partners(a, top=10)
        warm.append(time.perf_counter() - t)
    if engine != "numpy":  # a loop of its own: each engine's queries run after one another, not interleaved
        for a, mine in zip(queries, ours):
            t = time.perf_counter()
            agree &= plain.ranking.top_partners(a, top=10) == mine
            numpy_times.append(time.perf_counter() - t)
    explain = []
    for name in names[:20]:
        t = time.perf_counter()
        matcher.match(name, top=10)
        explain.append(time.perf_counter() - t)
    out = {
        "load_s": load_s,
        "engine": engine,
        "query_p50_ms": 1000 * float(np.percentile(times, 50)),
        "query_p95_ms": 1000 * float(np.percentile(times, 95)),
        "query_again_p50_ms": 1000 * float(np.percentile(warm, 50)),
        "explain_p50_ms": 1000 * float(np.percentile(explain, 50)),
        "queries": len(queries),
    }
    if numpy_times:
        out["numpy_query_p50_ms"] = 1000 * float(np.percentile(numpy_times, 50))
        out["engines_agree"] = bool(agree)
    if baseline:
        query = _baseline(index)
        base, same = [], True
        for a, mine in zip(queries, ours):
            t = time.perf_counter()
            rows, scores = query(a)
            base.append(time.perf_counter() - t)
            # the same partners with the same scores (float32 sums: rows may swap only within a near-tie)
            same &= len(rows) == len(mine) and np.allclose(scores, [s for _, s, *_ in mine], atol=1e-5)
            same &= all(b == r or abs(s - float(scores[i])) < 1e-5 for i, (r, (b, s, *_)) in enumerate(zip(rows, mine)))
        out["baseline_query_p50_ms"] = 1000 * float(np.percentile(base, 50))
        out["exact"] = bool(same)
    if bm25:
        build_s, times = _rank_bm25(index, queries, budget_s=60)
        out["rank_bm25_build_s"] = build_s
        out["rank_bm25_query_p50_ms"] = 1000 * float(np.percentile(times, 50))
    out["query_peak_mb"] = peak_mb()
    out["names"] = names[:3]
    return out


def phase_batch(store: Path, seed: int, sample: int) -> dict:
    """Every organisation's top 10 in process (all cores, after one organisation's to warm up), or, with
    ``sample``, that many random organisations' and the time extrapolated to all (a conservative estimate:
    a whole batch's queries also learn from one another, ``ranking.compiled.top_of_each``)."""
    from matcher.batch.local import all_top_partners
    from matcher.ranking.score import compiled_kernel
    from matcher.workspace import open_workspace

    matcher = open_workspace(store).matcher
    n = matcher.index.n_orgs
    compiled_kernel()  # loaded, as in a process that queries: small sets use it only then (matcher.batch)
    for _ in all_top_partners(matcher.ranking, top=10, orgs=[0]):  # warm up: imports, compiling, the index's tables
        pass
    if not sample:
        t = time.perf_counter()
        for _ in all_top_partners(matcher.ranking, top=10):
            pass
        return {"batch_s": time.perf_counter() - t}
    rng = np.random.default_rng(seed)
    orgs = np.sort(rng.choice(n, min(sample, n), replace=False))
    t = time.perf_counter()
    for _ in all_top_partners(matcher.ranking, top=10, orgs=orgs):
        pass
    took = time.perf_counter() - t
    return {"batch_sample_s": took, "batch_sample_orgs": len(orgs), "batch_estimate_s": took * n / len(orgs)}


def child_peak(args: list[str], show_progress: bool = False) -> tuple[float, float, str]:
    """Run a child process: its wall time, its peak memory (os.wait4) and its output. If it fails, exit
    with the end of what it wrote to stderr (an out-of-date store, say, says to rebuild it).

    It runs in this folder, which holds no ``matcher``: ``python -m matcher`` imports the installed package,
    as the phases do, and not a checkout in the current folder (whose compiled kernels would be cached
    apart, and compiled again inside a timed run). With ``show_progress`` on a terminal, the child writes
    to this one's standard error (its progress bar), and a failure says only that it failed."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as err:
        through = show_progress and sys.stderr.isatty()
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=None if through else err, text=True, cwd=HERE)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            err.seek(0)
            tail = "".join(err.readlines()[-10:])
            sys.exit(f"{' '.join(args)} failed ({proc.returncode}):\n{tail}")
    return wall, usage.ru_maxrss / 1024, out


def evict_store(store: Path) -> None:
    """Drop the store's files from the page cache (Linux), so that every run starts where a machine just
    booted would. A store the build has just written, or any file read through in one go, sits there in
    2 MB pages on this kernel, and each memory-mapped page a process touches then counts 2 MB towards its
    resident memory: at 1M organisations a query process peaked at 4.2 GB that way, against 2.9 GB with
    the pages faulted in by the queries themselves (4 KB each)."""
    if not hasattr(os, "posix_fadvise"):
        return
    for path in store.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # written pages must reach the disk before they can be dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def measure(n: int, work: Path, args) -> dict:
    store = work / f"store-{n}"
    me = [sys.executable, str(Path(__file__).resolve())]
    if not (store / "meta.json").exists() or args.rebuild:
        _, _, out = child_peak(
            [*me, "--phase", "build", "--n", str(n), "--store", str(store), "--seed", str(args.seed)]
            + (["--build-workers", str(args.build_workers)] if args.build_workers else []),
            show_progress=True,
        )
        result = json.loads(out)
    else:
        result = json.loads((work / f"build-{n}.json").read_text())
    (work / f"build-{n}.json").write_text(json.dumps(result))
    print(f"  {n}: built in {result['build_s']:.1f} s ({result['terms']} terms)", file=sys.stderr, flush=True)
    evict_store(store)
    phase = [*me, "--phase", "query", "--store", str(store), "--seed", str(args.seed), "--queries", str(args.queries)]
    if n <= args.bm25_max:
        phase.append("--bm25")
    if n <= args.baseline_max:
        phase.append("--baseline")
    _, _, out = child_peak(phase)
    result.update(json.loads(out))
    batch = not args.no_batch and n <= args.batch_max
    if batch or (not args.no_batch and args.batch_sample):
        sample = 0 if batch else args.batch_sample
        _, peak, out = child_peak([*me, "--phase", "batch", "--store", str(store), "--batch-sample", str(sample)])
        result.update(json.loads(out), batch_peak_mb=peak)
    name = result.pop("names")[0]
    matcher_cmd = [sys.executable, "-m", "matcher"]
    walls, peaks = [], []
    for _ in range(4):  # the first run warms the page cache
        wall, peak, _ = child_peak([*matcher_cmd, "match", "--org", name, "--profiles", str(store)])
        walls.append(wall)
        peaks.append(peak)
    result["cli_s"] = float(np.median(walls[1:]))
    result["cli_peak_mb"] = max(peaks)
    if batch:
        out_csv = work / f"batch-{n}.csv"
        wall, peak, _ = child_peak([*matcher_cmd, "batch", "--profiles", str(store), "-o", str(out_csv), "--top", "10"])
        result["batch_cli_s"], result["batch_cli_peak_mb"] = wall, peak
        for workers in (1, 2) if args.dask else ():
            dask_csv = work / f"batch-{n}-dask{workers}.csv"
            cmd = [*matcher_cmd, "batch", "--profiles", str(store), "-o", str(dask_csv), "--top", "10"]
            wall, _, _ = child_peak([*cmd, "--dask", f"local:{workers}"])
            result[f"dask{workers}_s"] = wall
            result[f"dask{workers}_same"] = dask_csv.read_bytes() == out_csv.read_bytes()
            dask_csv.unlink()
        out_csv.unlink(missing_ok=True)
    peaks = ("query_peak_mb", "cli_peak_mb", "batch_peak_mb", "batch_cli_peak_mb")
    result["peak_mb"] = max(result[k] for k in peaks if k in result)
    return result


COLUMNS = [
    ("build_s", "build s", "{:.1f}"),
    ("load_s", "load s", "{:.3f}"),
    ("query_p50_ms", "query p50 ms", "{:.2f}"),
    ("query_p95_ms", "query p95 ms", "{:.2f}"),
    ("numpy_query_p50_ms", "numpy query p50 ms", "{:.2f}"),
    ("explain_p50_ms", "with explanations ms", "{:.1f}"),
    ("cli_s", "match --org s", "{:.2f}"),
    ("batch_s", "batch s", "{:.2f}"),
    ("batch_cli_s", "batch CLI s", "{:.1f}"),
    ("batch_estimate_s", "batch s, estimated", "{:,.1f}"),
    ("dask1_s", "dask local:1 s", "{:.1f}"),
    ("dask2_s", "dask local:2 s", "{:.1f}"),
    ("peak_mb", "peak MB", "{:.0f}"),
    ("build_peak_mb", "build peak MB", "{:.0f}"),
    ("baseline_query_p50_ms", "sklearn full scan ms", "{:.2f}"),
    ("rank_bm25_query_p50_ms", "rank_bm25 ms", "{:.0f}"),
]


def table(results: dict) -> str:
    head = "| size | " + " | ".join(label for _, label, _ in COLUMNS) + " |"
    rows = [head, "|---:|" + "---:|" * len(COLUMNS)]
    for n, r in results.items():
        cells = [fmt.format(r[k]) if k in r else "–" for k, _, fmt in COLUMNS]
        rows.append(f"| {int(n):,} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated organisation counts")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--workdir", type=Path, help="keep the stores here (reused by the next run)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild stores found in --workdir")
    ap.add_argument(
        "--build-workers", type=int, help="analysis processes of the store build (default: one per core, at most 8)"
    )
    ap.add_argument("--queries", type=int, default=300, help="sampled organisations per size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-batch", action="store_true", help="skip the all-pairs batch")
    ap.add_argument("--dask", action="store_true", help="also run the batch CLI on LocalClusters of 1 and 2 workers")
    ap.add_argument("--bm25-max", type=int, default=100_000, help="largest size to run rank_bm25 on")
    ap.add_argument("--baseline-max", type=int, default=1_000_000, help="largest size to run the full scan on")
    ap.add_argument("--batch-max", type=int, default=100_000, help="largest size to run the all-pairs batch on")
    ap.add_argument(
        "--batch-sample",
        type=int,
        default=5_000,
        help="above --batch-max, time the batch on this many random organisations and extrapolate (0: skip)",
    )
    ap.add_argument("--phase", choices=("build", "query", "batch"), help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--bm25", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phase == "build":
        print(json.dumps(phase_build(args.n, args.store, args.seed, args.build_workers)))
        return 0
    if args.phase == "query":
        print(json.dumps(phase_query(args.store, args.queries, args.seed, args.bm25, args.baseline)))
        return 0
    if args.phase == "batch":
        print(json.dumps(phase_batch(args.store, args.seed, args.batch_sample)))
        return 0
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--sizes must be comma-separated integers, not {args.sizes!r}")
    work = (args.workdir or Path(tempfile.mkdtemp(prefix="matcher-scale-"))).resolve()  # children run elsewhere
    work.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores; stores in {work}", file=sys.stderr)
    results = {}
    try:
        # matcher's bytecode, once, as pip install compiles it: where PYTHONDONTWRITEBYTECODE is set (this
        # benchmark's machine sets it), each fresh ``match`` process would otherwise compile the source
        package = "import compileall, matcher, os; compileall.compile_dir(os.path.dirname(matcher.__file__), quiet=1)"
        subprocess.run([sys.executable, "-c", package], check=True, cwd=HERE)
        for n in sizes:
            results[str(n)] = measure(n, work, args)
            print(table({str(n): results[str(n)]}).splitlines()[-1], file=sys.stderr, flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(results))
    checked = [f"{int(n):,}" for n, r in results.items() if "exact" in r]
    exact = all(r.get("exact", True) for r in results.values())
    if not checked:
        print("no size compared with the full scan (see --baseline-max)")
    elif exact:
        print(f"top 10 equal to the full scan on every sampled query ({', '.join(checked)})")
    else:
        print("TOP 10 DIFFERS FROM THE FULL SCAN")
    engines = {r.get("engine", "numpy") for r in results.values()}
    agree = all(r.get("engines_agree", True) for r in results.values())
    if engines == {"numpy"}:
        print("queries ran on the numpy engine (install numba for the compiled one)")
    else:
        print("compiled and numpy engines: " + ("identical results" if agree else "RESULTS DIFFER"))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if exact and agree else 1


if __name__ == "__main__":
    sys.exit(main())
