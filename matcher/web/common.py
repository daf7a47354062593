"""What the desk's views share: the desk of this request, a page rendered with what every page shows, names
found or a 404, the filters of a request, and downloads."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, get_flashed_messages, request, url_for

from ..errors import AmbiguousOrganisation, MatcherError, UnknownOrganisation
from ..office.ledger import PIPELINE, REASONS, STAGES
from ..output.html import render
from ..profiles.model import KINDS
from ..profiles.schema import valid_country
from ..ranking.ranker import Filters
from ..workspace import Workspace
from . import auth
from .desk import Desk
from .security import CSRF_FIELD, csrf_token

PER_PAGE = 50
TOPS = (10, 20, 50)


def desk() -> Desk:
    return current_app.config["DESK"]


def workspace() -> Workspace:
    return desk().workspace()


def page(template: str, **values) -> str:
    """A page of the desk: ``template`` with the user, the form token, the messages and the vocabularies."""
    settings = desk().settings
    return render(
        template,
        url=url_for,
        user=auth.user(),
        login=settings.login,
        read_only=settings.read_only,
        csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(),
        messages=get_flashed_messages(),
        stages=STAGES,
        pipeline=PIPELINE,
        reasons=REASONS,
        kinds=KINDS,
        **values,
    )


def find(ws: Workspace, name: str) -> str:
    """The profile's name for ``name``; an unknown or ambiguous one is a page not found that says why."""
    try:
        return ws.name(name)
    except (UnknownOrganisation, AmbiguousOrganisation) as exc:
        abort(404, str(exc))


def int_arg(name: str, default: int, lo: int = 1, hi: int = 10_000) -> int:
    """A whole number from the query string, within ``lo``..``hi``; anything else is a 400 naming it."""
    value = request.args.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        abort(400, f"{name}={value!r} is not a whole number: give one from {lo} to {hi}.")
    if not lo <= number <= hi:
        abort(400, f"{name}={number} is out of range: give one from {lo} to {hi}.")
    return number


def filter_args() -> dict:
    """The list filters of the query string (``country``, ``kind``), checked: a bad one is a 400 naming it."""
    countries = []
    for value in request.args.getlist("country"):
        for code in filter(None, (c.strip() for c in value.split(","))):
            try:
                countries.append(valid_country(code))
            except ValueError as exc:
                abort(400, f"country: {exc}.")
    kinds = [k for k in request.args.getlist("kind") if k]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        abort(400, f"kind: {unknown[0]!r} is not a kind of organisation: use one of {', '.join(KINDS)}.")
    return {"countries": countries, "kinds": kinds}


def filters(chosen: dict) -> Filters:
    """The ranking's filters for what ``filter_args`` read."""
    return Filters.make(countries=chosen["countries"], kinds=chosen["kinds"])


def download(body: str, filename: str, mimetype: str) -> Response:
    """``body`` as a file to save, under ``filename`` (any characters, encoded as RFC 6266 says)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})


def library(call, *args, **kwargs):
    """``call(*args, **kwargs)``, a library error becoming a 400 page with its message."""
    try:
        return call(*args, **kwargs)
    except (UnknownOrganisation, AmbiguousOrganisation) as exc:
        abort(404, str(exc))
    except MatcherError as exc:
        abort(400, str(exc))
