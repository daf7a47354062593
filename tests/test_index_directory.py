"""Names to organisations: aliases, ambiguous short names, suggestions, related organisations."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.errors import AmbiguousOrganisation, UnknownOrganisation
from matcher.explanations.matching import Matcher
from matcher.index.build import build_index
from matcher.profiles.load import load_folder
from matcher.profiles.model import Profile
from matcher.profiles.names import suggest


def store_like(*orgs) -> Matcher:
    """A matcher over (name, aliases, grants) as a store holds them: aliases are imported short names."""
    profiles = [
        Profile(
            name,
            "DE",
            "research-institute",
            capabilities=tuple(f"grant {i} on lasers" for i in range(n)),
            aliases=aliases,
        )
        for name, aliases, n in orgs
    ]
    matcher = Matcher(build_index(profiles, weighting="bm25"))
    matcher.names.curated = False
    return matcher


NAMES = [
    "TECHNISCHE UNIVERSITEIT DELFT",
    "TU Delft",
    "TALLINNA TEHNIKAÜLIKOOL",
    "TALLINN UNIVERSITY OF TECHNOLOGY",
    "VYSOKE UCENI TECHNICKE V BRNE",
    "BRNO UNIVERSITY OF TECHNOLOGY",
    "AUBURN UNIVERSITY",
    "DALIAN UNIVERSITY OF TECHNOLOGY",
    "GRAZ UNIVERSITY OF TECHNOLOGY",
    "CHALMERS UNIVERSITY OF TECHNOLOGY",
    "TOKYO UNIVERSITY OF TECHNOLOGY",
    "FRAUNHOFER GESELLSCHAFT ZUR FORDERUNG DER ANGEWANDTEN FORSCHUNG EV",
    "ASSOCIACAO FRAUNHOFER PORTUGAL RESEARCH",
    "MAX-PLANCK-GESELLSCHAFT ZUR FORDERUNG DER WISSENSCHAFTEN EV",
    "HUAWEI TECHNOLOGIES FRANCE",
    "HUAWEI TECHNOLOGIES SWEDEN AB",
    "HARAMAYA UNIVERSITY",
    "SIEMENS AKTIENGESELLSCHAFT",
]

OWNER = {
    "TU Delft": "TECHNISCHE UNIVERSITEIT DELFT",
    "TALLINN UNIVERSITY OF TECHNOLOGY": "TALLINNA TEHNIKAÜLIKOOL",
    "BRNO UNIVERSITY OF TECHNOLOGY": "VYSOKE UCENI TECHNICKE V BRNE",
}


def matcher_for(folder):
    return Matcher.from_profiles(load_folder(folder).profiles)


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_an_exact_alias_wins_and_the_note_names_the_others():
    """'Fraunhofer' is the Portuguese association's alias: it is taken (an exact alias always wins), and the
    note names the Gesellschaft, whose name holds the word, with its id to choose it instead."""
    matcher = store_like(
        ("ASSOCIACAO FRAUNHOFER PORTUGAL RESEARCH", ("FRAUNHOFER", "997592427"), 4),
        ("FRAUNHOFER GESELLSCHAFT ZUR FORDERUNG DER ANGEWANDTEN FORSCHUNG EV", ("999984059",), 9),
        ("MAX-PLANCK-GESELLSCHAFT", (), 3),
    )
    assert matcher.names.find("Fraunhofer") == 0
    assert matcher.names.alias_note("Fraunhofer") == (
        "'Fraunhofer' is the alias of ASSOCIACAO FRAUNHOFER PORTUGAL RESEARCH; it is also in the name of:"
        " FRAUNHOFER GESELLSCHAFT ZUR FORDERUNG DER ANGEWANDTEN FORSCHUNG EV (also 999984059) — DE,"
        " research-institute, 9 grants. Give a full name or id to choose another."
    )
    assert matcher.names.find("999984059") == 1 and matcher.names.alias_note("999984059") is None
    assert matcher.names.alias_note("Associacao Fraunhofer Portugal Research") is None  # a full name


def test_an_acronym_alias_wins_over_another_organisations_initials():
    matcher = store_like(
        ("COMPAGNIE NATIONALE DU RHONE SA", ("CNR",), 1), ("CONSIGLIO NAZIONALE DELLE RICERCHE", (), 5)
    )
    assert matcher.names.find("cnr") == 0
    assert "CONSIGLIO NAZIONALE DELLE RICERCHE" in matcher.names.alias_note("cnr")


def test_an_alias_two_organisations_hold_is_ambiguous():
    matcher = store_like(
        ("HUAWEI TECHNOLOGIES FRANCE", ("HUAWEI",), 2), ("HUAWEI TECHNOLOGIES SWEDEN AB", ("HUAWEI",), 5)
    )
    with pytest.raises(AmbiguousOrganisation) as err:
        matcher.names.find("Huawei")
    assert [c.split(" (")[0] for c in err.value.candidates] == [
        "HUAWEI TECHNOLOGIES SWEDEN AB",
        "HUAWEI TECHNOLOGIES FRANCE",
    ]


def test_a_unique_alias_is_taken():
    matcher = store_like(("TECHNISCHE UNIVERSITEIT DELFT", ("TU Delft",), 2), ("CONSIGLIO NAZIONALE", (), 1))
    assert matcher.names.find("tu delft") == 0


def test_profile_folder_aliases_are_taken_as_written():
    """A profile folder's aliases are unique by validation: 'Alibaba' is the Group, though Alibaba Cloud exists."""
    from matcher.paths import bundled
    from matcher.workspace import open_workspace

    matcher = open_workspace(bundled("profiles")).matcher
    assert matcher.profiles[matcher.names.find("Alibaba")].name == "Alibaba Group"


@pytest.mark.parametrize(
    "query, first",
    [
        ("Delft University of Technology", "TECHNISCHE UNIVERSITEIT DELFT"),
        ("Fraunhofer Gesellschaft", "FRAUNHOFER GESELLSCHAFT ZUR FORDERUNG DER ANGEWANDTEN FORSCHUNG EV"),
        ("Huawei", "HUAWEI TECHNOLOGIES FRANCE"),
        ("Siemns", "SIEMENS AKTIENGESELLSCHAFT"),
    ],
)
def test_suggestions_on_legal_names(query, first):
    found = suggest(query, [(n, OWNER.get(n, n)) for n in NAMES])
    assert found[0] == first
    assert "AUBURN UNIVERSITY" not in found


def test_unknown_name_in_a_profile_folder_gets_did_you_mean():
    from matcher.paths import bundled
    from matcher.workspace import open_workspace

    matcher = open_workspace(bundled("profiles")).matcher
    with pytest.raises(UnknownOrganisation) as err:
        matcher.names.find("Gomselmasch")
    assert str(err.value) == "No organisation named 'Gomselmasch'. Did you mean 'Gomselmash' or 'Zongshen-Gomselmash'?"


def test_lookup_by_alias_and_case(tiny):
    m = matcher_for(tiny)
    assert m.names.get("alpha labs").name == "Alpha"
    assert m.names.get("  BETA ").name == "Beta"


def test_unknown_name_suggests(tiny):
    from matcher.errors import UnknownOrganisation

    with pytest.raises(UnknownOrganisation) as exc:
        matcher_for(tiny).names.find("Alpah")
    assert exc.value.suggestions == ["Alpha"]
    assert "Did you mean 'Alpha'?" in str(exc.value)


def test_a_joint_venture_is_marked_related_even_unlisted(write_profile, tmp_path):
    """Neither lists the other as a partner, but the venture's name holds the parent's: related, and left
    out by --new-only."""
    import json

    folder = tmp_path / "p"
    write_profile(
        folder,
        "volat",
        name="Volat",
        country="BY",
        kind="company",
        capabilities=["heavy truck chassis"],
        needs=["hydraulic axles"],
    )
    write_profile(
        folder,
        "jv",
        name="Sanjiang-Volat",
        country="CN",
        kind="company",
        capabilities=["hydraulic axles"],
        needs=["heavy truck chassis"],
    )
    write_profile(folder, "other", name="Truckworks", country="CN", kind="company", capabilities=["hydraulic axles"])
    data = json.loads(invoke("match", "--org", "Volat", "--profiles", str(folder), "--format", "json").output)
    assert {m["name"]: m["relation"] for m in data["matches"]} == {"Sanjiang-Volat": "related", "Truckworks": None}
    new = json.loads(
        invoke("match", "--org", "Volat", "--new-only", "--profiles", str(folder), "--format", "json").output
    )
    assert [m["name"] for m in new["matches"]] == ["Truckworks"]
    assert "· related organisation" in invoke("match", "--org", "Volat", "--profiles", str(folder)).output
