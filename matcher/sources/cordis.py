"""Profiles from CORDIS grants: one per organisation, built from the projects it took part in before a date.

The data folder holds ``projects.csv.gz``, ``participations.csv.gz`` and ``organisations.csv.gz`` (the
CORDIS Horizon Europe export described in the benchmark's README). A grant counts from its signature date
(its start date where that is missing): that is when it and its consortium became public.

- An organisation's capabilities are its grants (shown by acronym and title, vectorised with title,
  keywords, objective and call topic title); its partners are the organisations it shared a grant with.
- Each grant also tags its members with its programme part, call family, fields of science and type of
  action, so that a need for a given call can be matched by them.
- The same split is what the benchmark uses: ``history`` (grants before a cutoff) builds the store, and
  ``queries`` (collaborative grants signed in a window) are the needs whose real consortia are the answer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..dates import iso_day
from ..errors import MatcherError, UnreadableFile
from ..index.store import load_index
from ..index.stream import build_store
from ..paths import check_regular
from ..profiles.model import Profile, Source
from ..profiles.schema import BIDI_CONTROLS

HISTORY_ROLES = ("coordinator", "participant", "associatedPartner")
"""Roles that make an organisation part of a consortium (third parties are affiliates, not chosen partners)."""
PARTNER_ROLES = ("participant", "associatedPartner")
ACTIVITY_KINDS = {"HES": "university", "REC": "research-institute", "PRC": "company", "PUB": "public-body"}
COUNTRY_CODES = {"EL": "GR", "UK": "GB"}
"""CORDIS writes Greece and the United Kingdom as EL and UK; profiles use ISO 3166-1 codes."""

FILES = {
    "projects": ("project_id", "title", "objective", "keywords", "start_date", "ec_signature_date"),
    "participations": ("project_id", "org_id", "role"),
    "organisations": ("org_id", "name", "country", "activity_type"),
}
OPTIONAL = {
    "projects": ("acronym", "topic", "topic_title", "legal_basis", "legal_basis_title", "euroscivoc", "funding_scheme"),
    "organisations": ("short_name", "city"),
}


class CordisError(MatcherError):
    """The CORDIS data folder is missing a file or a column, or a date is malformed."""


@dataclass
class Tables:
    projects: object  # pandas DataFrames, all columns as strings
    participations: object
    organisations: object


def read_tables(data_dir: Path | str) -> Tables:
    """Read the three CSV files of a CORDIS data folder (every column as text, empty cells as "")."""
    import pandas as pd

    data_dir = Path(data_dir)
    frames = {}
    for name, required in FILES.items():
        path = data_dir / f"{name}.csv.gz"
        if not path.exists():
            path = data_dir / f"{name}.csv"
        if not path.exists():
            raise CordisError(f"{data_dir}: no {name}.csv.gz. Give the folder that holds the CORDIS export.")
        try:
            check_regular(path, what="CORDIS table")  # a link to /dev/zero would be read until memory ran out
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except UnreadableFile as exc:
            raise CordisError(f"{exc}.") from None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise CordisError(f"{path}: cannot be read as CSV ({exc}).") from None
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise CordisError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(df.columns)}.")
        for col in OPTIONAL.get(name, ()):
            if col not in df.columns:
                df[col] = ""
        frames[name] = df
    projects = frames["projects"]
    projects["t"] = projects["ec_signature_date"].where(projects["ec_signature_date"] != "", projects["start_date"])
    return Tables(projects, frames["participations"], frames["organisations"])


def check_date(value: str, option: str) -> str:
    """``value`` if it is a YYYY-MM-DD date, else a CordisError naming the option."""
    try:
        return iso_day(value).isoformat()
    except (TypeError, ValueError):
        raise CordisError(f"{option}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2023-07-01.") from None


def grant_text(row, *, topic: bool = True) -> str:
    """The text a grant contributes: title, keywords, objective and (``topic``) the title of its call topic."""
    parts = (row["title"], row["keywords"], row["objective"], row["topic_title"] if topic else "")
    return "\n".join(x for x in parts if x)


def call_family(topic: str) -> str:
    """A call topic without its year and last part: HORIZON-CL5-2023-D3-01-02 -> HORIZON-CL5-D3-01."""
    parts = topic.split("-")
    if len(parts) >= 3 and parts[2].isdigit():
        parts = parts[:2] + parts[3:]
    return "-".join(parts[:4])


def grant_tags(row) -> list[str]:
    """Programme part, call families, fields of science and type of action of a grant, as tags."""
    tags = []
    if row["legal_basis"]:
        tags.append("programme:" + row["legal_basis"].split(";")[0])
    tags += ["call:" + call_family(t) for t in row["topic"].split(";") if t]
    tags += ["field:" + f for f in row["euroscivoc"].split("|") if f]
    if row["funding_scheme"]:
        tags.append("scheme:" + row["funding_scheme"])
    return list(dict.fromkeys(tags))


def history(tables: Tables, before: str):
    """(projects, participations) of the grants signed before ``before``, in consortium roles only."""
    p = tables.projects[tables.projects["t"] < before]
    pa = tables.participations
    pa = pa[pa["role"].isin(HISTORY_ROLES) & pa["project_id"].isin(set(p["project_id"]))]
    return p, pa.drop_duplicates(["project_id", "org_id"])


@dataclass
class Built:
    """Profiles and the rows ``index.build.build_index`` (and ``index.stream.build_store``) need, one profile
    per organisation in the history."""

    profiles: list[Profile]
    texts: list[list[str]]
    links: list[tuple[int, int, float]]
    tags: list[tuple[int, str, float]]
    statement_tags: list[tuple[int, int, str]]  # (organisation, k-th grant, tag)
    ids: list[str]  # CORDIS organisation id (PIC) of each profile, in order of id
    grants: int


def build_profiles(tables: Tables, before: str) -> Built:
    """One profile per organisation that took part in a grant signed before ``before``."""
    projects, parts = history(tables, before)
    ids = sorted(set(parts["org_id"]), key=lambda x: (len(x), x))  # numeric order for numeric PICs
    row_of = {org: i for i, org in enumerate(ids)}
    orgs = tables.organisations.drop_duplicates("org_id").set_index("org_id")
    projects = projects.sort_values(["t", "project_id"], ascending=False)
    grant = {r["project_id"]: r for r in projects.to_dict("records")}
    members: dict[str, list[str]] = defaultdict(list)
    for pid, org in zip(parts["project_id"], parts["org_id"]):
        members[pid].append(org)
    grants_of: dict[str, list[str]] = defaultdict(list)
    for pid in grant:  # newest first
        for org in members.get(pid, ()):
            grants_of[org].append(pid)

    shared: Counter = Counter()
    for orgs_in in members.values():
        rows = sorted({row_of[o] for o in orgs_in})
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                shared[a, b] += 1

    taken: set[str] = set()

    def unique(name: str, org: str) -> str:
        key = name.casefold()
        if not name or key in taken:
            name = f"{name or 'Organisation'} ({org})"
        taken.add(name.casefold())
        return name

    info = {org: (orgs.loc[org] if org in orgs.index else None) for org in ids}
    names = {org: unique(_plain(info[org]["name"] if info[org] is not None else ""), org) for org in ids}
    partners_of: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (a, b), n in shared.items():
        partners_of[a].append((n, b))
        partners_of[b].append((n, a))

    profiles, texts, tags, statement_tags = [], [], [], []
    for i, org in enumerate(ids):
        row = info[org]
        country = (row["country"] if row is not None else "").upper()
        aliases = [org]
        short = _plain(row["short_name"] if row is not None else "")
        if short and short.casefold() not in taken:
            taken.add(short.casefold())
            aliases.insert(0, short)
        pids = grants_of[org]
        caps = [f"{grant[p]['acronym'] or p}: {grant[p]['title']}" for p in pids]
        sources = [Source(f"CORDIS grant {p} (signed {grant[p]['t']})", grant[p]["title"]) for p in pids]
        partners = [names[ids[b]] for n, b in sorted(partners_of[i], key=lambda x: (-x[0], x[1]))]
        sectors = list(dict.fromkeys(grant[p]["legal_basis_title"] for p in pids if grant[p]["legal_basis_title"]))
        profiles.append(
            Profile(
                name=names[org],
                country=COUNTRY_CODES.get(country, country),
                kind=ACTIVITY_KINDS.get(row["activity_type"] if row is not None else "", "other"),
                capabilities=tuple(caps),
                aliases=tuple(aliases),
                city=(row["city"] or None) if row is not None else None,
                sectors=tuple(sectors),
                partners=tuple(partners),
                sources=tuple(sources),
            )
        )
        texts.append([grant_text(grant[p]) for p in pids])
        own = [grant_tags(grant[p]) for p in pids]
        statement_tags += [(i, k, t) for k, ts in enumerate(own) for t in ts]
        counts = Counter(t for ts in own for t in ts)
        tags += [(i, t, float(c)) for t, c in counts.items()]
    links = [(a, b, float(n)) for (a, b), n in shared.items()]
    return Built(profiles, texts, links, tags, statement_tags, ids, len(grant))


def _plain(name) -> str:
    """A name from the CORDIS tables without the invisible direction controls that would make it display as
    another's (a profile file with one is refused; a table of a million names cannot be, so they go)."""
    text = (name or "").strip()
    if any(ch in BIDI_CONTROLS for ch in text):
        text = "".join(ch for ch in text if ch not in BIDI_CONTROLS).strip()
    return text


def default_model() -> dict:
    """The signal weights shipped for CORDIS stores (fitted by benchmarks/fit_weights.py)."""
    path = Path(__file__).with_name("cordis_model.json")
    return json.loads(path.read_text(encoding="utf-8"))


IMPORT_STEPS = ("Reading the CORDIS tables", "Making one profile per organisation", "Indexing and writing the store")


def import_cordis(
    data_dir: Path | str,
    before: str,
    out: Path | str,
    *,
    model: dict | None = None,
    tables=None,
    progress=None,
    advance=None,
):
    """Build a profile store from the grants signed before ``before`` and write it to ``out``.

    Returns the store's ``Index`` (memory-mapped). ``out`` is written atomically: an interrupted import
    leaves no store. ``progress(step)`` is called as each of ``IMPORT_STEPS`` begins; during the last,
    ``advance(fraction)`` as the store's build goes on (``index.stream``: in bounded memory).
    """
    step = progress or (lambda _: None)
    check_date(before, "--before")
    step(IMPORT_STEPS[0])
    tables = tables if tables is not None else read_tables(data_dir)
    step(IMPORT_STEPS[1])
    built = build_profiles(tables, before)
    if not built.profiles:
        raise CordisError(f"No grant in {data_dir} was signed before {before}: the store would be empty.")
    step(IMPORT_STEPS[2])
    done, total = [0], 3 * len(built.profiles)  # bm25: read, weigh, vectorise

    def tick(k: int) -> None:
        done[0] += k
        if advance is not None:
            advance(done[0] / total)

    build_store(
        built.profiles,
        Path(out),
        weighting="bm25",
        texts=built.texts,
        links=built.links,
        tags=built.tags,
        statement_tags=built.statement_tags,
        model=model if model is not None else default_model(),
        min_df=2,
        aligned_sources=True,
        documents=True,
        store={
            "source": "CORDIS",
            "data": str(Path(data_dir).resolve()) if data_dir else None,
            "before": before,
            "grants": built.grants,
            "organisations": len(built.profiles),
            "built": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        },
        progress=tick,
    )
    return load_index(Path(out))[0]


@dataclass(frozen=True)
class Query:
    """A grant signed in the query window: its coordinator's need and the partners it really chose."""

    project_id: str
    seeker: str  # organisation id of the coordinator
    text: str
    tags: tuple[str, ...]
    partners: tuple[str, ...]  # ground truth: partners that had a profile before the cutoff
    new_partners: tuple[str, ...]  # those of them that never shared a grant with the seeker before
    plain_text: str = ""  # title, keywords and objective only (what make_split.md's baselines read)


def _known_and_past(tables: Tables, cutoff: str) -> tuple[set[str], dict[str, set[str]]]:
    """The organisations of the history before ``cutoff``, and each one's partners there."""
    _, hist = history(tables, cutoff)
    past: dict[str, set[str]] = defaultdict(set)
    for _, group in hist.groupby("project_id")["org_id"]:
        orgs = set(group)
        for o in orgs:
            past[o] |= orgs - {o}
    return set(hist["org_id"]), past


def queries(tables: Tables, cutoff: str, until: str) -> list[Query]:
    """The make_split.md queries: collaborative grants signed in [cutoff, until), with known partners."""
    check_date(cutoff, "--cutoff")
    check_date(until, "--until")
    known, past = _known_and_past(tables, cutoff)
    p = tables.projects
    window = p[(p["t"] >= cutoff) & (p["t"] < until)]
    pa = tables.participations
    pa = pa[pa["project_id"].isin(set(window["project_id"]))].drop_duplicates(["project_id", "org_id"])
    by_project = {pid: g for pid, g in pa.groupby("project_id")}
    out = []
    for row in window.sort_values(["t", "project_id"]).to_dict("records"):
        g = by_project.get(row["project_id"])
        if g is None or not (g["role"] == "participant").any():
            continue
        coord = g.loc[g["role"] == "coordinator", "org_id"]
        if coord.empty:
            continue
        seeker = coord.iloc[0]
        gt = [o for o, r in zip(g["org_id"], g["role"]) if r in PARTNER_ROLES and o in known and o != seeker]
        gt = list(dict.fromkeys(gt))
        if not gt:
            continue
        new = [o for o in gt if o not in past.get(seeker, set())]
        out.append(
            Query(
                row["project_id"],
                seeker,
                grant_text(row),
                tuple(grant_tags(row)),
                tuple(gt),
                tuple(new),
                grant_text(row, topic=False),
            )
        )
    return out


@dataclass(frozen=True)
class OrgQuery:
    """An organisation with a profile before the cutoff and the partners it really had in the window."""

    seeker: str  # organisation id
    partners: tuple[str, ...]  # organisations with a profile it shared a grant with in [cutoff, until)
    new_partners: tuple[str, ...]  # those of them it had never shared a grant with before the cutoff
    grants: tuple[str, ...]  # those window grants


def org_queries(tables: Tables, cutoff: str, until: str) -> list[OrgQuery]:
    """Whom each organisation worked with next: for every organisation in the history that took part in a
    grant signed in [cutoff, until) with at least one other organisation of the history, those partners.

    This is the question ``match --org`` answers on a store (who should this organisation work with
    next), where ``queries`` asks who joins one given grant. Consortium roles only, as for the history;
    seekers in the order of ``build_profiles`` (numeric ids first).
    """
    check_date(cutoff, "--cutoff")
    check_date(until, "--until")
    known, past = _known_and_past(tables, cutoff)
    _, window = history(tables, until)
    p = tables.projects
    in_window = set(p.loc[(p["t"] >= cutoff) & (p["t"] < until), "project_id"])
    window = window[window["project_id"].isin(in_window) & window["org_id"].isin(known)]
    partners: dict[str, dict[str, None]] = defaultdict(dict)
    grants: dict[str, list[str]] = defaultdict(list)
    for pid, group in window.groupby("project_id", sort=True)["org_id"]:
        orgs = list(dict.fromkeys(group))
        if len(orgs) < 2:
            continue
        for o in orgs:
            grants[o].append(pid)
            partners[o].update(dict.fromkeys(x for x in orgs if x != o))
    out = []
    for org in sorted(partners, key=lambda x: (len(x), x)):
        gt = tuple(sorted(partners[org], key=lambda x: (len(x), x)))
        new = tuple(o for o in gt if o not in past.get(org, set()))
        out.append(OrgQuery(org, gt, new, tuple(grants[org])))
    return out
