"""Ranking quality on real consortia: the make_split.md temporal protocol on a CORDIS data folder.

History = grants signed before --cutoff. Two query modes, each in the all-partners and new-partners variants:

- grants: each collaborative grant signed in [--cutoff, --until) is a ``--need`` ranking (the grant's text
  and tags, for its coordinator); its real partners are the answer;
- organisations: each organisation of the history that took part in a grant of the window is a
  ``match --org`` ranking (its newest grants before the cutoff stand for its needs); every organisation it
  shared a window grant with is the answer.

The matcher is run through the library the CLI uses: ``import_cordis`` builds the store, ``open_workspace``
opens it, and ``Matcher.need_scores`` / ``Matcher.recent_scores`` rank.

    python benchmarks/cordis_eval.py --data ../shared/benchmark --cutoff 2023-07-01 --until 2024-01-01 \\
        --json cordis_val.json

Baselines (make_split.md section 6): popularity, TF-IDF cosine (scikit-learn, min_df=2, max_df=0.5), TF-IDF +
past partners, and BM25 (the matcher's text signal alone); in the organisations mode also past partners
alone (shared past grants, then popularity). All ranks use the same fixed tie order.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from matcher.index.vectors import CAPABILITY, dot_all
from matcher.ranking.evaluation import Judged, evaluate, format_table
from matcher.ranking.ranker import Ranking
from matcher.ranking.signals import Need, recent_need
from matcher.sources import cordis
from matcher.workspace import open_workspace

VAL = ("2023-07-01", "2024-01-01")


def prepare(data: Path, cutoff: str, until: str, store: Path | None = None):
    """Tables, the opened store (imported now unless ``store`` already holds one) and the judged queries."""
    tables = cordis.read_tables(data)
    t0 = time.perf_counter()
    if store is None or not (store / "meta.json").exists():
        store = store or Path(tempfile.mkdtemp(prefix="matcher-cordis-")) / "store"
        cordis.import_cordis(data, cutoff, store, tables=tables)
    catalog = open_workspace(store)
    meta = json.loads((store / "meta.json").read_text())
    if meta["store"]["before"] != cutoff:
        sys.exit(f"{store} was built with --before {meta['store']['before']}, not {cutoff}: give another --store.")
    import_s = time.perf_counter() - t0
    queries = cordis.queries(tables, cutoff, until)
    judged = judge(catalog.matcher.index)

    return tables, catalog, queries, [judged(q) for q in queries], import_s


def judge(index):
    """``f(query) -> Judged``: a grant or organisation query of CORDIS ids as rows of ``index``."""
    row = {p.aliases[-1]: i for i, p in enumerate(index.profiles)}  # the last alias is the organisation id

    def judged(q) -> Judged:
        seeker = row.get(q.seeker)
        past = tuple(int(x) for x in index.links.row(seeker)[0]) if seeker is not None else ()
        return Judged(seeker, tuple(row[o] for o in q.partners), tuple(row[o] for o in q.new_partners), past)

    return judged


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


def history_texts(tables, cutoff: str):
    """Each history grant's plain text (title, keywords, objective) and each organisation's grants."""
    projects, parts = cordis.history(tables, cutoff)
    text = dict(
        zip(projects["project_id"], projects["title"] + " " + projects["keywords"] + " " + projects["objective"])
    )
    grants: dict[str, list[str]] = {}
    for pid, org in zip(parts["project_id"], parts["org_id"]):
        grants.setdefault(org, []).append(pid)
    return text, grants


def tfidf_baseline(tables, cutoff: str, query_texts: list[str], index):
    """make_split.md's TF-IDF: one document per organisation (its history grants), cosine to the query."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    text, grants = history_texts(tables, cutoff)
    ids = [p.aliases[-1] for p in index.profiles]
    vec = TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5, stop_words="english", dtype=np.float32)
    D = vec.fit_transform([" ".join(text[p] for p in grants[o]) for o in ids])
    Q = vec.transform(query_texts)
    return (Q @ D.T).tocsr()


def dense(row, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[row.indices] = row.data
    return out


def past_of(judged: Judged, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[list(judged.past)] = 1.0
    return out


def grant_mode(tables, catalog, queries, judged, cutoff: str) -> dict:
    """Every method on the grant queries: the partners a coordinator chose for one grant."""
    matcher = catalog.matcher
    index = matcher.index
    n = index.n_orgs
    popularity = index.n_capabilities.astype(np.float64)
    tfidf = tfidf_baseline(tables, cutoff, [q.plain_text for q in queries], index)
    vectors = [index.transform(q.text) for q in queries]
    methods = {
        "popularity": lambda i: popularity,
        "tfidf": lambda i: dense(tfidf[i], n),
        "tfidf+past": lambda i: dense(tfidf[i], n) + past_of(judged[i], n),
        "bm25": lambda i: dot_all(vectors[i], index.postings[CAPABILITY]),
        "matcher": lambda i: matcher.ranking.need_scores(Need(queries[i].text, judged[i].seeker, queries[i].tags))[0],
    }
    return evaluate(judged, methods)


def org_judged(index, tables, cutoff: str, until: str) -> tuple[list[cordis.OrgQuery], list[Judged]]:
    """The organisation queries of the window, as rows of the index."""
    queries = cordis.org_queries(tables, cutoff, until)
    judged = list(map(judge(index), queries))
    return queries, judged


def org_mode(tables, catalog, cutoff: str, until: str, limit: int | None = None) -> tuple[int, dict]:
    """Every method on the organisation queries: whom each organisation worked with next."""
    matcher = catalog.matcher
    index = matcher.index
    popular = Ranking(index, popular=True)  # the ranking as the model was fitted, without the popularity discount
    n = index.n_orgs
    queries, judged = org_judged(index, tables, cutoff, until)
    if limit:
        queries, judged = queries[:limit], judged[:limit]
    popularity = index.n_capabilities.astype(np.float64)
    recent = [recent_need(index, j.seeker) for j in judged]
    text, _ = history_texts(tables, cutoff)

    plain = []
    for r in recent:
        sources = index.profiles[r.need.seeker].sources
        ids = [sources[int(index.stmt_evidence[row])].article.split()[2] for row in r.rows]
        plain.append(" ".join(text[g] for g in ids))
    tfidf = tfidf_baseline(tables, cutoff, plain, index)
    tie = popularity / (popularity.max() + 1)  # below one shared grant: popularity orders the rest

    def past(i):
        out = tie.copy()
        cols, vals = index.links.row(judged[i].seeker)
        out[cols] += vals
        return out

    methods = {
        "popularity": lambda i: popularity,
        "past partners": past,
        "tfidf": lambda i: dense(tfidf[i], n),
        "tfidf+past": lambda i: dense(tfidf[i], n) + past_of(judged[i], n),
        "bm25": lambda i: dot_all(recent[i].vector, index.postings[CAPABILITY]),
        "matcher": lambda i: matcher.ranking.recent_scores(judged[i].seeker),
        "matcher --popular": lambda i: popular.recent_scores(judged[i].seeker),
    }
    return len(queries), evaluate(judged, methods)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="CORDIS data folder (projects/participations/...)")
    ap.add_argument("--cutoff", required=True, help="history = grants signed before this date (YYYY-MM-DD)")
    ap.add_argument("--until", required=True, help="queries = collaborative grants signed in [cutoff, until)")
    ap.add_argument("--mode", choices=("grants", "organisations", "both"), default="both", help="query modes to run")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--store", type=Path, help="reuse (or keep) the imported store in this folder")
    ap.add_argument("--limit", type=int, help="only the first N queries of each mode (a quick look)")
    ap.add_argument(
        "--model", type=Path, help="rank with the weights in this model JSON instead of the store's (out of sample)"
    )
    args = ap.parse_args(argv)
    cordis.check_date(args.cutoff, "--cutoff")
    cordis.check_date(args.until, "--until")

    t0 = time.perf_counter()
    tables, catalog, queries, judged, import_s = prepare(args.data, args.cutoff, args.until, args.store)
    check = check_reference(args.data, queries, args.cutoff, args.until)
    if args.limit:
        queries, judged = queries[: args.limit], judged[: args.limit]
    index = catalog.matcher.index
    if args.model:
        index.model = json.loads(args.model.read_text())
    print(f"{index.n_orgs} candidates; {check}; store built in {import_s:.0f} s", flush=True)
    out = {
        "data": str(args.data),
        "cutoff": args.cutoff,
        "until": args.until,
        "candidates": index.n_orgs,
        "reference_check": check,
        "model": index.model,
    }
    if args.mode in ("grants", "both"):
        t1 = time.perf_counter()
        results = grant_mode(tables, catalog, queries, judged, args.cutoff)
        print(f"\nGrants: {len(queries)} queries (who joins this grant), in {time.perf_counter() - t1:.0f} s")
        print(format_table(results), flush=True)
        out.update(queries=len(queries), methods=results)
    if args.mode in ("organisations", "both"):
        t1 = time.perf_counter()
        n_org, org_results = org_mode(tables, catalog, args.cutoff, args.until, args.limit)
        print(f"\nOrganisations: {n_org} queries (whom it works with next), in {time.perf_counter() - t1:.0f} s")
        print(format_table(org_results))
        out["organisations"] = {"queries": n_org, "methods": org_results}
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
