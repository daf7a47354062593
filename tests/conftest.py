"""Fixtures every test module may use: profiles known by heart (``tiny``), a profile writer, synthetic profile
sets, a tiny CORDIS grant set and its store, and a private index cache for each test."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

from matcher.profiles.model import Profile
from matcher.sources import cordis


def _write_profile(folder: Path, slug: str, **fields) -> Path:
    """Write one profile YAML file; the fields are the profile's keys."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(fields, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Five profiles whose ranking for Alpha can be worked out by hand.

    Alpha needs laser scanning and offers drone platforms.
    - Beta offers laser scanning and needs drone platforms: both directions are exact (cosine 1) -> 1.0.
    - Gamma offers laser scanning but needs fish farming: forward 1, backward 0 -> 0.5*0.5 + 0.5*0 = 0.25.
    - Epsilon offers laser scanning and lists no needs: scored on the forward side alone -> 1.0.
    - Delta offers fish farming and lists no needs: nothing in common -> not listed.
    """
    folder = tmp_path / "profiles"
    _write_profile(
        folder,
        "alpha",
        name="Alpha",
        aliases=["Alpha Labs"],
        country="CN",
        kind="company",
        capabilities=["drone platforms"],
        needs=["laser scanning"],
    )
    _write_profile(
        folder,
        "beta",
        name="Beta",
        country="RU",
        kind="research-institute",
        capabilities=["laser scanning"],
        needs=["drone platforms"],
    )
    _write_profile(
        folder,
        "gamma",
        name="Gamma",
        country="RU",
        kind="university",
        capabilities=["laser scanning"],
        needs=["fish farming"],
    )
    _write_profile(folder, "delta", name="Delta", country="DE", kind="company", capabilities=["fish farming"])
    _write_profile(folder, "epsilon", name="Epsilon", country="HU", kind="company", capabilities=["laser scanning"])
    return folder


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own index cache, so tests neither share nor leave state; the multilingual signal is
    off unless a test turns it on (known answers are worked out on shared words)."""
    monkeypatch.setenv("MATCHER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("MATCHER_SEMANTIC", "0")


@pytest.fixture
def write_profile():
    """``write_profile(folder, slug, **fields)`` writes one profile YAML file, the fields being its keys."""
    return _write_profile


def _zipf_profiles(n: int, words: int, lengths: tuple[int, int], seed: int, *, capabilities: int, no_needs_every: int):
    """``n`` profiles over ``words`` words of Zipfian frequency: some in nearly every profile, most rare."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}x" for i in range(words)]
    p = 1 / np.arange(1, words + 1) ** 1.1
    p /= p.sum()

    def text():
        return " ".join(rng.choice(vocab, int(rng.integers(*lengths)), p=p))

    out = []
    for i in range(n):
        caps = tuple(text() for _ in range(capabilities))
        needs = (text(),) if i % no_needs_every else ()
        out.append(Profile(name=f"O{i}", country="CN", kind="company", capabilities=caps, needs=needs))
    return out


@pytest.fixture(scope="session")
def zipf_profiles():
    """``zipf_profiles(n, words, lengths, seed, capabilities=, no_needs_every=)``: synthetic profiles whose
    words are of Zipfian frequency, the shape that pruned queries are tested on."""
    return _zipf_profiles


# A tiny CORDIS grant set worked out by hand (t = signature date, else start date):
# - P1 2022-01-10 hydrogen storage: A coordinator, B participant, T thirdParty (an affiliate: ignored)
# - P2 2022-03-01 battery recycling: C coordinator, D participant
# - P3 (no signature date, starts 2022-05-01) hydrogen electrolysis: B coordinator, E participant
# - Q1 2023-02-01 hydrogen storage pilot: A coordinator; B, E, F participants; C associated partner
# - Q2 2023-03-01 a single-beneficiary grant: D coordinator only -> not a query
# - Q3 2023-04-01 G coordinator, F participant: neither had a profile -> no known partner -> dropped
# - Q4 2024-01-01 signed on the end of the window -> not in [2023-01-01, 2024-01-01)
# - P5 2023-01-01 signed on the cutoff -> a query candidate, never history (it has no participant: dropped)
# With the cutoff 2023-01-01, the history is P1-P3 and the candidates are A-E. Q1's partners with a profile
# are B, E and C (F is new to the data); A had worked with B only, so the new partners are E and C.

PROJECT_COLS = [
    "project_id",
    "acronym",
    "title",
    "objective",
    "keywords",
    "start_date",
    "ec_signature_date",
    "topic",
    "topic_title",
    "legal_basis",
    "legal_basis_title",
    "euroscivoc",
    "funding_scheme",
]


def _project(pid, title, signed, start="2022-01-01", topic="HORIZON-CL5-2022-D3-01-02", lb="HORIZON.2.5"):
    return dict(
        project_id=pid,
        acronym=f"ACR{pid}",
        title=title,
        objective=f"{title}, studied in depth.",
        keywords="",
        start_date=start,
        ec_signature_date=signed,
        topic=topic,
        topic_title="",
        legal_basis=lb,
        legal_basis_title="Climate, Energy and Mobility",
        euroscivoc="/engineering/energy",
        funding_scheme="HORIZON-RIA",
    )


PROJECTS = [
    _project("1", "Hydrogen storage in salt caverns", "2022-01-10"),
    _project("2", "Battery recycling plants", "2022-03-01", topic="HORIZON-CL4-2021-RESILIENCE-01", lb="HORIZON.2.4"),
    _project("3", "Hydrogen electrolysis membranes", "", start="2022-05-01"),
    _project("11", "Hydrogen storage pilot", "2023-02-01"),
    _project("12", "Dark matter theory", "2023-03-01"),
    _project("13", "Ocean robots", "2023-04-01"),
    _project("14", "Hydrogen valleys", "2024-01-01"),
    _project("15", "Cutoff day grant", "2023-01-01"),
]


PARTICIPATIONS = [
    ("1", "100", "coordinator"),
    ("1", "200", "participant"),
    ("1", "900", "thirdParty"),
    ("2", "300", "coordinator"),
    ("2", "400", "participant"),
    ("3", "200", "coordinator"),
    ("3", "500", "participant"),
    ("11", "100", "coordinator"),
    ("11", "200", "participant"),
    ("11", "500", "participant"),
    ("11", "600", "participant"),
    ("11", "300", "associatedPartner"),
    ("12", "400", "coordinator"),
    ("13", "700", "coordinator"),
    ("13", "600", "participant"),
    ("14", "100", "coordinator"),
    ("14", "400", "participant"),
    ("15", "300", "coordinator"),
]


ORGS = [
    ("100", "Alpha Energy", "AE", "DE", "PRC"),
    ("200", "Beta Institute", "", "EL", "REC"),
    ("300", "Gamma University", "", "UK", "HES"),
    ("400", "Delta Recycling", "", "FR", "PRC"),
    ("500", "Epsilon Labs", "", "DE", "REC"),
    ("600", "Phi Startup", "", "ES", "PRC"),
    ("700", "G Council", "", "IT", "PUB"),
    ("900", "Alpha Affiliate", "", "DE", "PRC"),
]


def _write(path: Path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture
def grants(tmp_path) -> Path:
    folder = tmp_path / "cordis"
    folder.mkdir()
    _write(folder / "projects.csv", PROJECT_COLS, [[p[c] for c in PROJECT_COLS] for p in PROJECTS])
    _write(folder / "participations.csv", ["project_id", "org_id", "role"], PARTICIPATIONS)
    _write(folder / "organisations.csv", ["org_id", "name", "short_name", "country", "activity_type"], ORGS)
    return folder


@pytest.fixture
def store(grants, tmp_path):
    out = tmp_path / "store"
    cordis.import_cordis(grants, "2023-01-01", out)
    return out


DESK_ACCOUNTS = (("Ada Admin", "admin"), ("Ed Editor", "editor"), ("Vi Viewer", "viewer"))
DESK_PASSWORD = "correct horse 1"


@pytest.fixture(scope="session")
def make_office():
    """``make_office(folder)``: a copy of the bundled profiles in ``folder/profiles`` and a ledger
    ``folder/matcher.db`` with an admin, an editor and a viewer (``DESK_ACCOUNTS``, password
    ``DESK_PASSWORD``); returns ``(profiles, ledger, accounts, password)``."""
    import shutil

    from matcher.office.accounts import Accounts
    from matcher.office.ledger import Ledger
    from matcher.paths import bundled

    def make(folder: Path):
        profiles, ledger = folder / "profiles", folder / "matcher.db"
        shutil.copytree(bundled("profiles"), profiles)
        with Ledger(ledger) as book:
            for name, role in DESK_ACCOUNTS:
                Accounts(book).add(name, role, DESK_PASSWORD)
        return profiles, ledger, DESK_ACCOUNTS, DESK_PASSWORD

    return make


@pytest.fixture(scope="session")
def serve_desk():
    """``with serve_desk(settings) as url:`` the desk on waitress (``make_server``, as ``matcher serve`` runs
    it) on a free port of 127.0.0.1, stopped when the block ends."""
    import contextlib
    import threading

    from waitress.wasyncore import close_all

    from matcher.web.app import make_server

    @contextlib.contextmanager
    def serve(settings, threads: int = 8):
        server = make_server(settings, host="127.0.0.1", port=0, threads=threads)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.effective_port}"
        finally:
            server.task_dispatcher.shutdown()  # let requests in flight finish before the sockets close
            server.trigger.pull_trigger(lambda: close_all(server._map))  # closed in its own thread: no select on
            thread.join(10)  # a socket closed under it

    return serve


def _bm25_index(profiles):
    from matcher.index.build import build_index

    return build_index(profiles, weighting="bm25", min_df=1, documents=True)


@pytest.fixture
def small():
    """Three organisations of a store-like index (BM25, documents): two hold the same "hydrogen storage" text,
    the third seeks it."""
    from matcher.profiles.model import Profile

    return _bm25_index(
        [
            Profile("Xeno", "DE", "company", capabilities=("hydrogen storage", "battery recycling")),
            Profile("Ypsilon", "FR", "company", capabilities=("hydrogen storage",)),  # the same text: one document
            # a need is no capability: Zeta seeks hydrogen storage, it does not offer it
            Profile("Zeta", "IT", "company", capabilities=("solar panels",), needs=("hydrogen storage",)),
        ]
    )


@pytest.fixture
def consortium():
    """Seeker worked with Pal on "hydrogen storage" and with Quill on "battery recycling"; Rook holds the
    same "hydrogen storage" text but never worked with Seeker; Tern is in Seeker's city."""
    from matcher.profiles.model import Profile

    return _bm25_index(
        [
            Profile(
                "Seeker",
                "DE",
                "university",
                capabilities=("hydrogen storage", "battery recycling"),
                partners=("Pal", "Quill"),
                city="Berlin",
            ),
            Profile("Pal", "FR", "company", capabilities=("hydrogen storage", "wind blades")),
            Profile("Quill", "IT", "company", capabilities=("battery recycling",)),
            Profile("Rook", "ES", "company", capabilities=("hydrogen storage",)),
            Profile("Tern", "DE", "company", capabilities=("solar panels",), city=" berlin "),
            Profile("Umber", "US", "company", capabilities=("solar cells",), city="Berlin"),  # Berlin, New Hampshire
        ]
    )


@pytest.fixture
def quoted(tmp_path, write_profile):
    """``quoted(quote)``: a profiles folder whose Volga Lasers cites ``quote`` from seeds/a.txt beside it
    (``support.ARTICLE``), and Sky Drones, which needs what Volga Lasers offers."""
    from .support import ARTICLE

    def make(quote: str) -> Path:
        seeds = tmp_path / "seeds"
        seeds.mkdir(exist_ok=True)
        (seeds / "a.txt").write_text(ARTICLE, encoding="utf-8")
        folder = tmp_path / "profiles"
        write_profile(
            folder,
            "volga",
            name="Volga Lasers",
            country="RU",
            kind="company",
            capabilities=["airborne laser scanning of pipelines"],
            sources=[{"article": "a.txt", "quote": quote}],
        )
        write_profile(
            folder, "sky", name="Sky Drones", country="CN", kind="company", needs=["laser scanning of pipelines"]
        )
        return folder

    return make
