"""Profiles in the browser: add one (``/new``) or change one (``/edit/NAME``) in a form that applies
``matcher validate``'s checks, each problem shown beside its field (``profiles.edit``). The file is written
whole, the previous text kept as ``FILE.bak``; a store's profiles and the bundled ones are read-only."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, flash, redirect, request, url_for

from ...errors import ProfileError
from ...profiles.edit import ProfileChanged, fields_from_form, form_field, form_from_profile, save_form, version
from ...profiles.load import load_profile
from .. import auth
from ..common import desk, find, library, page, workspace


def register(app: Flask) -> None:
    app.add_url_rule("/new", "new_profile", new_profile, methods=["GET", "POST"])
    app.add_url_rule("/edit/<path:name>", "edit_profile", edit_profile, methods=["GET", "POST"])


def _writable() -> Path:
    """The profiles folder, where profiles may be written here; else a 403 that says why not."""
    reason = desk().settings.read_only
    if reason:
        abort(403, reason)
    return workspace().location


def _form(title: str, values: dict, problems=(), *, name: str | None = None, status: int = 200):
    by_field: dict[str, list] = {}
    for p in problems:
        by_field.setdefault(form_field(p.field), []).append(p)
    rows = 1 + max([int(k.split("-")[1]) for k in values if k.startswith("sources-")] or [-1])
    return page("profile_form.html", title=title, values=values, problems=by_field, name=name, rows=rows), status


def _saved(path: Path, warnings, verb: str):
    profile = load_profile(path)
    flash(f"{verb} {profile.name} ({path.name}).")
    for w in warnings:
        flash(f"Warning: {w.field}: {w.message} — {w.hint}")
    return redirect(url_for("organisation", name=profile.name), code=303)


@auth.requires("editor")
def new_profile():
    folder = _writable()
    if request.method != "POST":
        return _form("Add a profile", {"kind": "company"})
    try:
        path, warnings = save_form(folder, fields_from_form(request.form))
    except ProfileError as exc:
        return _form("Add a profile", request.form.to_dict(), exc.problems, status=400)
    return _saved(path, warnings, "Added")


@auth.requires("editor")
def edit_profile(name: str):
    _writable()
    profile = workspace().matcher.names.get(find(workspace(), name))
    path = Path(profile.path)
    title = f"Edit {profile.name}"
    if request.method != "POST":
        values = form_from_profile(library(load_profile, path)) | {"version": version(path)}
        return _form(title, values, name=profile.name)
    try:
        fields, expected = fields_from_form(request.form), request.form.get("version")
        saved, warnings = save_form(path.parent, fields, original=path, expected=expected)
    except ProfileError as exc:
        return _form(title, request.form.to_dict(), exc.problems, name=profile.name, status=400)
    except ProfileChanged as exc:
        abort(409, str(exc))
    return _saved(saved, warnings, "Saved")
