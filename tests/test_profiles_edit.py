"""Profiles from a form (profiles/edit.py): matcher validate's checks by field, the file written whole with
the previous text kept, and an edit made meanwhile never lost; and a page of organisations by name."""

from __future__ import annotations

import pytest

from matcher.errors import ProfileError
from matcher.profiles.edit import (
    ProfileChanged,
    check_form,
    fields_from_form,
    form_field,
    form_from_profile,
    save_form,
    version,
)
from matcher.profiles.load import load_profile
from matcher.workspace import Workspace, organisations


def form(**values):
    base = {"name": "Zeta", "country": "de", "kind": "company", "capabilities": "laser scanning\n\n"}
    return base | values


def test_form_fields_become_a_profile():
    fields = fields_from_form(
        form(aliases="Z\nZeta GmbH", **{"sources-0-article": "a.txt", "sources-0-quote": "q", "sources-1-quote": ""})
    )
    assert fields["country"] == "DE" and fields["aliases"] == ["Z", "Zeta GmbH"]
    assert fields["capabilities"] == ["laser scanning"] and fields["sources"] == [{"article": "a.txt", "quote": "q"}]


@pytest.mark.parametrize(
    "problem, field",
    [("capabilities[2]", "capabilities"), ("sources[0].quote", "sources-0-quote"), ("sources[1]", "sources-1")],
)
def test_problems_belong_to_form_fields(problem, field):
    assert form_field(problem) == field


def test_every_problem_is_found_with_its_field(tiny):
    check = check_form(
        tiny,
        fields_from_form(
            form(
                name="Beta",
                country="XX",
                partners="Nobody",
                **{"sources-0-article": "nowhere.txt", "sources-0-quote": "not there"},
            )
        ),
    )
    assert [(form_field(p.field), p.severity) for p in check.problems] == [("country", "error")]
    check = check_form(
        tiny,
        fields_from_form(
            form(name="Beta", partners="Nobody", **{"sources-0-article": "nowhere.txt", "sources-0-quote": "x"})
        ),
    )
    by_field = {k: [p.message for p in v] for k, v in check.by_field().items()}
    assert by_field["name"] == ["'Beta' is already the name or an alias of 'Beta' (beta.yaml)"]
    assert by_field["sources-0-article"][0].startswith("article 'nowhere.txt' is not in ")
    assert by_field["partners"] == ["'Nobody' names no profile in this folder"]
    assert [p.severity for p in check.problems] == ["error", "error", "warning"]
    beta = (tiny / "beta.yaml").read_text()
    try:  # another name whose file name is taken: saved in a file of its own, or refused on the name field
        path, _ = save_form(tiny, fields_from_form(form(name="BETA!")))
        assert path != tiny / "beta.yaml"
    except ProfileError as exc:
        assert [form_field(p.field) for p in exc.problems] == ["name"] and "beta.yaml" in exc.problems[0].message
    assert (tiny / "beta.yaml").read_text() == beta


def test_a_new_profile_and_an_edit_keep_the_previous_version(tiny):
    with pytest.raises(ProfileError, match="country"):
        save_form(tiny, fields_from_form(form(country="XX")))
    assert not (tiny / "zeta.yaml").exists()
    path, warnings = save_form(tiny, fields_from_form(form(partners="Alpha")))
    assert path == tiny / "zeta.yaml" and warnings == []
    before = path.read_text()
    stamp = version(path)
    values = form_from_profile(load_profile(path)) | {"needs": "fish farming"}
    saved, _ = save_form(tiny, fields_from_form(values), original=path, expected=stamp)
    assert saved == path and load_profile(path).needs == ("fish farming",)
    assert (tiny / "zeta.yaml.bak").read_text() == before
    with pytest.raises(ProfileChanged, match="changed after this form was opened"):
        save_form(tiny, fields_from_form(values | {"needs": "other"}), original=path, expected=stamp)
    assert load_profile(path).needs == ("fish farming",)


def test_organisations_page_by_name_and_filters(tiny, store):
    ws = Workspace(tiny)
    page = organisations(ws, per_page=2)
    assert [p.name for p in page.profiles] == ["Alpha", "Beta"] and (page.total, page.pages) == (5, 3)
    assert [p.name for p in organisations(ws, name="labs").profiles] == ["Alpha"]  # an alias
    assert [p.name for p in organisations(ws, countries=["RU"], kinds=["university"]).profiles] == ["Gamma"]
    assert [p.name for p in organisations(ws, page=3, per_page=2).profiles] == ["Gamma"]
    on_store = organisations(Workspace(store), name="a", countries=["DE"])
    assert [p.name for p in on_store.profiles] == ["Alpha Energy", "Epsilon Labs"]
