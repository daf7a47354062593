"""Ranking quality on real consortia: the make_split.md temporal protocol on a CORDIS data folder.

History = grants signed before --cutoff; queries = collaborative grants signed in [--cutoff, --until).
The matcher is run through the library the CLI uses: ``import_cordis`` builds the store, ``open_catalog``
opens it, and each query is a ``--need`` ranking (the grant's text and tags, for its coordinator).

    python benchmarks/cordis_eval.py --data ../shared/benchmark --cutoff 2023-07-01 --until 2024-01-01 \\
        --json cordis_val.json

Baselines (make_split.md section 6): popularity, TF-IDF cosine (scikit-learn, min_df=2, max_df=0.5), TF-IDF +
past partners, and BM25 (the matcher's text signal alone). All ranks use the same fixed tie order.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from matcher import cordis
from matcher.catalog import open_catalog
from matcher.evaluation import Judged, evaluate, format_table
from matcher.index import CAPABILITY, dot_all
from matcher.rank import Need

VAL = ("2023-07-01", "2024-01-01")


def prepare(data: Path, cutoff: str, until: str, store: Path | None = None):
    """Tables, the opened store (imported now unless ``store`` already holds one) and the judged queries."""
    tables = cordis.read_tables(data)
    t0 = time.perf_counter()
    if store is None or not (store / "meta.json").exists():
        store = store or Path(tempfile.mkdtemp(prefix="matcher-cordis-")) / "store"
        cordis.import_cordis(data, cutoff, store, tables=tables)
    catalog = open_catalog(store)
    meta = json.loads((store / "meta.json").read_text())
    if meta["store"]["before"] != cutoff:
        sys.exit(f"{store} was built with --before {meta['store']['before']}, not {cutoff}: give another --store.")
    import_s = time.perf_counter() - t0
    queries = cordis.queries(tables, cutoff, until)
    index = catalog.matcher.index
    row = {p.aliases[-1]: i for i, p in enumerate(index.profiles)}  # the last alias is the organisation id

    def judged(q: cordis.Query) -> Judged:
        seeker = row.get(q.seeker)
        past = tuple(int(x) for x in index.links.row(seeker)[0]) if seeker is not None else ()
        return Judged(seeker, tuple(row[o] for o in q.partners), tuple(row[o] for o in q.new_partners), past)

    return tables, catalog, queries, [judged(q) for q in queries], import_s


def check_reference(data: Path, queries, cutoff: str, until: str) -> str:
    """Compare with split_val_queries.csv.gz when the period is the validation one; exit on a mismatch."""
    ref_path = data / "split_val_queries.csv.gz"
    if (cutoff, until) != VAL or not ref_path.exists():
        return "no reference query set for this period"
    import pandas as pd

    ref = pd.read_csv(ref_path, dtype=str, keep_default_na=False)
    ref = ref[ref["split"] == "val"]
    want = {
        (r.project_id, r.seeker_org_id, frozenset(r.gt_org_ids.split()), frozenset(r.gt_new_org_ids.split()))
        for r in ref.itertuples()
    }
    got = {(q.project_id, q.seeker, frozenset(q.partners), frozenset(q.new_partners)) for q in queries}
    if want != got:
        sys.exit(f"Query set differs from {ref_path}: {len(got - want)} extra or different, {len(want - got)} missing.")
    return f"reference query set reproduced exactly ({len(want)} queries)"


def tfidf_baseline(tables, cutoff: str, queries, index):
    """make_split.md's TF-IDF: one document per organisation (its history grants), cosine to the query."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    projects, parts = cordis.history(tables, cutoff)
    text = dict(
        zip(projects["project_id"], projects["title"] + " " + projects["keywords"] + " " + projects["objective"])
    )
    docs: dict[str, list[str]] = {}
    for pid, org in zip(parts["project_id"], parts["org_id"]):
        docs.setdefault(org, []).append(text[pid])
    ids = [p.aliases[-1] for p in index.profiles]
    vec = TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5, stop_words="english", dtype=np.float32)
    D = vec.fit_transform([" ".join(docs[o]) for o in ids])
    Q = vec.transform([q.plain_text for q in queries])
    return (Q @ D.T).tocsr()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="CORDIS data folder (projects/participations/...)")
    ap.add_argument("--cutoff", required=True, help="history = grants signed before this date (YYYY-MM-DD)")
    ap.add_argument("--until", required=True, help="queries = collaborative grants signed in [cutoff, until)")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--store", type=Path, help="reuse (or keep) the imported store in this folder")
    ap.add_argument("--limit", type=int, help="only the first N queries (a quick look)")
    args = ap.parse_args(argv)
    cordis.check_date(args.cutoff, "--cutoff")
    cordis.check_date(args.until, "--until")

    t0 = time.perf_counter()
    tables, catalog, queries, judged, import_s = prepare(args.data, args.cutoff, args.until, args.store)
    check = check_reference(args.data, queries, args.cutoff, args.until)
    if args.limit:
        queries, judged = queries[: args.limit], judged[: args.limit]
    matcher = catalog.matcher
    index = matcher.index
    print(f"{len(queries)} queries, {index.n_orgs} candidates; {check}; store built in {import_s:.0f} s", flush=True)

    popularity = index.n_capabilities.astype(np.float64)
    tfidf = tfidf_baseline(tables, args.cutoff, queries, index)
    vectors = [index.transform(q.text) for q in queries]

    def dense(row):
        out = np.zeros(index.n_orgs)
        out[row.indices] = row.data
        return out

    def past(i):
        out = np.zeros(index.n_orgs)
        out[list(judged[i].past)] = 1.0
        return out

    methods = {
        "popularity": lambda i: popularity,
        "tfidf": lambda i: dense(tfidf[i]),
        "tfidf+past": lambda i: dense(tfidf[i]) + past(i),
        "bm25": lambda i: dot_all(vectors[i], index.postings[CAPABILITY]),
        "matcher": lambda i: matcher.need_scores(Need(queries[i].text, judged[i].seeker, queries[i].tags))[0],
    }
    t1 = time.perf_counter()
    results = evaluate(judged, methods)
    eval_s = time.perf_counter() - t1
    print(format_table(results))
    print(f"evaluated in {eval_s:.0f} s; total {time.perf_counter() - t0:.0f} s")
    out = {
        "data": str(args.data),
        "cutoff": args.cutoff,
        "until": args.until,
        "queries": len(queries),
        "candidates": index.n_orgs,
        "reference_check": check,
        "model": index.model,
        "methods": results,
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
