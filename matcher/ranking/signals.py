"""Rank organisations for a need: text relevance plus the signals real consortia show, in one linear score.

A need (a project idea, a request) is scored against every organisation's capabilities, as in the
forward direction of a match, and, in stores that keep each capability as a document of its own
(``Index.docs``), against each capability statement: the few statements closest to the need, and all of
them taken together. Stores built from many past projects add signals that predict who really
teams up: past joint work with the seeker, work under the same programme, call family, field of science
or type of action, the same country, and the kinds of organisation that take part. Each signal is a
non-negative number per organisation and the final score is their weighted sum with non-negative weights,
so every signal's share of a score is exact, and the text part still splits into terms.

Weights come with the index (``Index.model``); a store built by ``matcher import-cordis`` carries the ones
fitted with ``benchmarks/fit_weights.py`` on the validation period. Without a model only the text counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MatcherError
from ..index.model import Index
from ..index.vectors import CAPABILITY, concat_ranges, dot_all
from ..profiles.model import KINDS

TAG_CATEGORIES = ("programme", "call", "field", "scheme")
"""Tag prefixes a need query can match: ``programme:HORIZON.2.5``, ``call:HORIZON-CL5-D3-01``, …"""

TEXT_ONLY = {"weights": {"text": 1.0}}
STATEMENT_SIGNALS = ("closest", "together", "past_close")
CLOSEST = 3
"""``closest`` is the sum of the cosines of an organisation's CLOSEST capability statements to the need."""
RECENT = 3
"""An organisation of a store that lists no needs seeks partners for work like its RECENT newest projects."""

SIGNAL_LABELS = {
    "text": "text: its capabilities meet the need",
    "meaning": "meaning: its capability closest to the need (any language)",
    "closest": f"its {CLOSEST} capability statements closest to the need",
    "together": "its capability statements taken together",
    "past": "past joint work with the seeker",
    "past_any": "has worked with the seeker",
    "past_close": "past joint work with the seeker on a project close to the need",
    "network": "has worked with the seeker's partners",
    "size": "track record (number of past projects)",
    "same_country": "same country as the seeker",
    "same_city": "same city as the seeker",
    "country_affinity": "its country often works with the seeker's",
    "programme": "projects under the same programme",
    "programme_share": "share of its projects under the same programme",
    "call": "projects in the same call family",
    "field": "projects in the same fields of science",
    "scheme": "projects of the same type of action",
}


def signal_label(name: str) -> str:
    if name.startswith("same_kind:"):
        return f"same kind as the seeker ({name.split(':', 1)[1]})"
    if name.startswith("kind:"):
        return f"kind of organisation ({name.split(':', 1)[1]})"
    return SIGNAL_LABELS.get(name, name)


@dataclass(frozen=True)
class Need:
    """What is sought: a text, optionally for a known seeker, with tags such as ``programme:HORIZON.2.5``."""

    text: str
    seeker: int | None = None  # row of the seeker in the index, when it has a profile
    tags: tuple[str, ...] = ()
    country: str | None = None  # the seeker's, when it has no profile
    kind: str | None = None


@dataclass(frozen=True)
class RecentNeed:
    """An organisation's newest capability records taken together as its need (``recent_need``)."""

    need: Need
    vector: tuple[np.ndarray, np.ndarray]  # as ``Index.transform`` would give for their texts
    doc_vector: tuple[np.ndarray, np.ndarray] | None  # as ``Index.doc_vector`` would give; None without docs
    rows: tuple[int, ...]  # their statement rows, newest first


def recent_need(index: Index, org: int, k: int = RECENT) -> RecentNeed:
    """The need of an organisation that lists none: its ``k`` first capability records (a store from
    ``matcher import-cordis`` lists grants newest first), their terms, statement vector and tags.

    For one record this is exactly the need query of that record's text and tags; for several, their
    terms are pooled, their statement vectors summed and normalised, and their tags joined.
    """
    rows = tuple(index.statement_rows(org, CAPABILITY))[:k]
    ids, vals = _pooled(index.statements, rows)
    if index.weighting == "bm25":
        vector = (ids, np.ones(len(ids), dtype=np.float32))
    else:
        vector = (ids, _unit(vals))
    doc_vector = None
    if index.docs is not None:
        d_ids, d_vals = _pooled(index.docs.vectors, [int(index.docs.of_statement[r]) for r in rows])
        doc_vector = (d_ids, _unit(d_vals))
    tags: tuple[str, ...] = ()
    if index.stmt_tags is not None and rows:
        ids_t = sorted({int(t) for r in rows for t in index.stmt_tags.row(r)[0]})
        tags = tuple(index.tag_names[t] for t in ids_t)
    text = "; ".join(index.statement_text(r) for r in rows)
    return RecentNeed(Need(text, org, tags), vector, doc_vector, rows)


def _pooled(matrix, rows) -> tuple[np.ndarray, np.ndarray]:
    """The sum of some rows of a ``Csr`` matrix, as (sorted column ids, values), zeros left out."""
    if not rows:
        return np.zeros(0, dtype=np.int32), np.zeros(0)
    parts = [matrix.row(r) for r in rows]
    cols, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    sums = np.bincount(inverse, weights=np.concatenate([p[1] for p in parts]).astype(np.float64))
    keep = sums != 0
    return cols[keep].astype(np.int32), sums[keep]


def _unit(values: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(values))
    return (values / norm if norm > 0 else values).astype(np.float32)


def signal_names(model: dict | None) -> list[str]:
    return list((model or TEXT_ONLY)["weights"])


def signals(
    index: Index, need: Need, vector, names: list[str], *, scale: bool = True, doc_vector=None
) -> tuple[dict[str, np.ndarray], float]:
    """The named signals of every organisation for ``need`` (each >= 0), and the text score's divisor.

    ``text`` is the need's text score divided by the best one (``scale``), so that its weight means the
    same for a short request and a long project summary.
    """
    n = index.n_orgs
    out: dict[str, np.ndarray] = {}
    raw = dot_all(vector, index.postings[CAPABILITY])
    top = float(raw.max()) if n else 0.0
    divisor = top if scale and top > 0 else 1.0
    out["text"] = raw / divisor
    wanted = set(names)
    seeker = need.seeker
    if wanted & set(STATEMENT_SIGNALS):
        if doc_vector is None:
            doc_vector = index.doc_vector(need.text)
        doc_cos = dot_all(doc_vector, index.docs.postings)
        out["closest"], out["together"] = statement_similarity(index, doc_vector, doc_cos)
        out["past_close"] = np.zeros(n)
        if seeker is not None and "past_close" in wanted:
            out["past_close"] = shared_closest(index, seeker, doc_cos)
    if wanted & {"past", "past_any"}:
        past = np.zeros(n)
        if seeker is not None and index.links is not None:
            cols, vals = index.links.row(seeker)
            past[cols] = vals
        out["past"] = np.log1p(past)
        out["past_any"] = (past > 0).astype(np.float64)
    if "network" in wanted:
        out["network"] = np.log1p(partners_of_partners(index, seeker)) if seeker is not None else np.zeros(n)
    if "size" in wanted:
        out["size"] = np.log1p(index.n_capabilities.astype(np.float64))
    if wanted & (set(TAG_CATEGORIES) | {"programme_share"}):
        counts = _tag_counts(index, need.tags)
        for cat in TAG_CATEGORIES:
            out[cat] = np.log1p(counts.get(cat, np.zeros(n)))
        out["programme_share"] = counts.get("programme", np.zeros(n)) / np.maximum(index.n_capabilities, 1)
    country = index.country[seeker] if seeker is not None else need.country
    kind = KINDS[int(index.kind[seeker])] if seeker is not None else need.kind
    if "same_country" in wanted:
        out["same_country"] = (index.country == country).astype(np.float64) if country else np.zeros(n)
    if "same_city" in wanted:
        out["same_city"] = np.zeros(n)
        if seeker is not None and index.city is not None and index.city[seeker]:
            out["same_city"] = (index.city == index.city[seeker]).astype(np.float64)
            out["same_city"][seeker] = 0.0
    if "country_affinity" in wanted:
        out["country_affinity"] = np.zeros(n)
        codes, country_of, lift = index.country_lift
        at = int(np.searchsorted(codes, country)) if country else len(codes)
        if at < len(codes) and codes[at] == country:
            out["country_affinity"] = np.log1p(lift[at][country_of])
    for name in names:
        if name.startswith("kind:"):
            out[name] = (index.kind == KINDS.index(name[5:])).astype(np.float64)
        elif name.startswith("same_kind:"):
            k = name[10:]
            same = kind == k
            out[name] = (index.kind == KINDS.index(k)).astype(np.float64) if same else np.zeros(n)
    return {name: out[name] for name in names}, divisor


def partners_of_partners(index: Index, seeker: int) -> np.ndarray:
    """Per organisation, the seeker's past partners it has worked with too, each counted 1 / log(2 + its
    number of partners) (Adamic-Adar: a shared partner with few partners says more than a hub)."""
    links = index.links
    n = index.n_orgs
    if links is None:
        return np.zeros(n)
    cols, _ = links.row(seeker)
    degree = np.diff(links.indptr)
    lo = links.indptr[cols]
    lens = degree[cols]
    reached = links.indices[concat_ranges(lo, lens)]
    weight = np.repeat(1.0 / np.log(2.0 + lens), lens)
    out = np.bincount(reached, weights=weight, minlength=n)
    out[seeker] = 0.0
    return out


def shared_closest(index: Index, seeker: int, doc_cos: np.ndarray) -> np.ndarray:
    """Per organisation, the best cosine with the need (``doc_cos``, one per document) among the projects
    it shared with ``seeker`` (the same capability document in the profiles of two past partners); 0 for
    the seeker and for organisations it shared none with.

    Consortia re-form around their past work: of the seeker's many past partners, those of the project
    closest to the new one are the likeliest to join it.
    """
    docs = index.docs
    n = index.n_orgs
    best = np.zeros(n)
    shared = np.zeros(len(doc_cos), dtype=bool)
    shared[seeker_documents(index, seeker)] = True
    partner = np.zeros(n, dtype=bool)
    if index.links is not None:
        partner[index.links.row(seeker)[0]] = True
    rows = np.flatnonzero(shared[docs.of_statement] & (index.stmt_side == CAPABILITY))
    rows = rows[partner[index.stmt_org[rows]]]
    np.maximum.at(best, index.stmt_org[rows], doc_cos[docs.of_statement[rows]])
    return best


def seeker_documents(index: Index, seeker: int) -> np.ndarray:
    """The document rows of ``seeker``'s capability statements: the projects it can share with a partner."""
    own = index.statement_rows(seeker, CAPABILITY)
    return index.docs.of_statement[own.start : own.stop]


def statement_similarity(index: Index, doc_vector, doc_cos: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per organisation, the need's cosines with its capability statements (``Index.docs``), summed two ways.

    Returns ``(closest, together)``: the sum of its ``CLOSEST`` highest cosines, and the cosine with the
    sum of all its statement vectors (that sum of cosines divided by ``Documents.norms``). ``doc_cos`` is
    the need's cosine with every document, when the caller has it.
    """
    docs = index.docs
    n = index.n_orgs
    if doc_cos is None:
        doc_cos = dot_all(doc_vector, docs.postings)
    cos = doc_cos[docs.of_statement]
    cos[index.stmt_side != CAPABILITY] = 0.0
    org = index.stmt_org
    total = np.bincount(org, weights=cos, minlength=n)
    together = np.divide(total, docs.norms, out=np.zeros(n), where=docs.norms > 0)
    hit = np.flatnonzero(cos > 0)
    hit = hit[np.lexsort((-cos[hit], org[hit]))]  # by organisation, best first
    owner = org[hit]
    rank_in_org = np.arange(len(hit)) - np.searchsorted(owner, owner)
    best = hit[rank_in_org < CLOSEST]
    closest = np.bincount(org[best], weights=cos[best], minlength=n)
    return closest, together


def statement_terms(index: Index, org: int, doc_vector) -> tuple[list[tuple[int, float, dict[int, float]]], float]:
    """How ``org``'s capability statements meet a need, term by term.

    Returns ``(statements, norm)``: ``statements`` lists ``(statement row, cosine, {term: part})`` for
    every statement that shares a term with the need, best first, each cosine the sum of its terms'
    parts (the first ``CLOSEST`` make up ``closest``); ``norm`` is the divisor that turns the sum over all
    of them into the ``together`` cosine.
    """
    docs = index.docs
    q_idx, q_val = doc_vector
    parts = []
    for row in index.statement_rows(org, CAPABILITY):
        d_idx, d_val = docs.vectors.row(int(docs.of_statement[row]))
        common, iq, id_ = np.intersect1d(q_idx, d_idx, assume_unique=True, return_indices=True)
        terms = dict(zip(common.tolist(), (q_val[iq].astype(np.float64) * d_val[id_]).tolist()))
        parts.append((row, float(sum(terms.values())), terms))
    parts.sort(key=lambda p: (-p[1], p[0]))
    return [p for p in parts if p[1] > 0], float(docs.norms[org])


def _tag_counts(index: Index, tags: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Per category, how many of each organisation's past records carry one of the need's tags."""
    if not tags or index.tag_postings is None:
        return {}
    lookup = index.tag_ids
    by_cat: dict[str, list[int]] = {}
    for tag in dict.fromkeys(tags):
        if tag in lookup:
            by_cat.setdefault(tag.split(":", 1)[0], []).append(lookup[tag])
    return {
        cat: dot_all((np.array(sorted(ids), dtype=np.int32), np.ones(len(ids), np.float32)), index.tag_postings)
        for cat, ids in by_cat.items()
    }


POPULARITY_DISCOUNT = -0.13
"""``match --org`` on a store (``recent``) weighs track record by the fitted weight times this, unless asked for
the ranking as fitted (``popular``). Fitted, size and partners carry the ranking, and the same giants top every
list (Fraunhofer in the top 5 of 58% of organisations on the CORDIS store)."""

KIND_DISCOUNT = {"kind:research-institute": 0.8}
"""With the popularity discount, the fitted bonus of these kinds of candidate is scaled by this: the giants of
the CORDIS store (Fraunhofer, CNRS, CSIC) are research institutes. Together the most frequent partner falls to
19.4% of all 21,575 top-5 lists while new-partner Hits@10 (out of sample) moves 0.604 -> 0.597; the discount
alone left 20.6% at 0.594 (docs/stores.md, ``benchmarks/concentration.py``)."""


def model_weights(model: dict | None, recent: bool = False, popular: bool = False) -> dict[str, float]:
    """The signal weights of a model: for a need query, or (``recent``) for an organisation's newest
    records taken as its need, which a model may weigh apart (``recent_weights``) and where track record
    is discounted unless ``popular`` (``POPULARITY_DISCOUNT``, ``KIND_DISCOUNT``)."""
    model = model or TEXT_ONLY
    chosen = model.get("recent_weights") if recent else None
    weights = {k: float(v) for k, v in (chosen or model["weights"]).items()}
    if recent and chosen and not popular:
        if "size" in weights:
            weights["size"] *= POPULARITY_DISCOUNT
        for name, factor in KIND_DISCOUNT.items():
            if name in weights:
                weights[name] *= factor
    unknown = [k for k in weights if not known_signal(k)]
    if unknown:
        raise MatcherError(
            f"The ranking model weighs signals this version of matcher does not have ({', '.join(unknown)}):"
            " it was fitted for another version. Import the store again with this version"
            " (matcher import-cordis ... --force), or fit the model again with benchmarks/fit_weights.py."
        )
    return weights


def known_signal(name: str) -> bool:
    """Whether ``signals`` can compute ``name``."""
    for prefix in ("kind:", "same_kind:"):
        if name.startswith(prefix):
            return name[len(prefix) :] in KINDS
    return name in SIGNAL_LABELS


def score_need(index: Index, need: Need, vector=None, doc_vector=None, *, recent: bool = False, popular: bool = False):
    """Final score of every organisation for ``need``: ``(score, signals, weights, text divisor)``.

    ``vector`` and ``doc_vector`` are the need's ``Index.transform`` and ``Index.doc_vector``, when the
    caller already has them; ``recent`` says the need is ``recent_need``'s, ``popular`` that it is ranked
    without the popularity discount (``model_weights``).
    """
    weights = model_weights(index.model, recent, popular)
    if vector is None:
        vector = index.transform(need.text)
    sig, divisor = signals(index, need, vector, list(weights), scale=index.model is not None, doc_vector=doc_vector)
    score = np.zeros(index.n_orgs)
    for name, w in weights.items():
        if w:
            score += w * sig[name]
    return score, sig, weights, divisor
