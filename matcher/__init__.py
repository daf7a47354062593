"""matcher: partner matchmaking for technology-transfer offices.

Profiles say what organisations offer and seek; matcher ranks whom each should meet and explains why. The
Python API (``docs/api.md``)::

    import matcher

    office = matcher.open_workspace()  # the profiles in use, their index and the outcome ledger
    result = matcher.match(office, "Ehang", top=3)  # a MatchList: each Match with its explanation

Names are imported on first use, so that ``import matcher`` (and the ``match`` command) loads no more than
it needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_API = {
    # a workspace and the calls every surface makes
    "Workspace": "workspace",
    "open_workspace": "workspace",
    "match": "workspace",
    "match_need": "workspace",
    "explain": "workspace",
    "evaluate": "workspace",
    "plan_event": "workspace",
    # what they take and give
    "Filters": "ranking.ranker",
    "Match": "explanations.results",
    "MatchList": "explanations.results",
    "ProfileView": "explanations.results",
    "Ledger": "office.ledger",
    "Event": "office.ledger",
    "Funnel": "office.ledger",
    "EventPlan": "office.event",
    # profiles
    "Profile": "profiles.model",
    "Source": "profiles.model",
    "load_folder": "profiles.load",
    "load_profile": "profiles.load",
    "parse_profile": "profiles.load",
    # rendering
    "render_matches": "output.text",
    "render_explanation": "output.text",
    "to_json": "output.text",
    # errors
    "MatcherError": "errors",
    "Problem": "errors",
    "ProfileError": "errors",
    "UnknownOrganisation": "errors",
    "AmbiguousOrganisation": "errors",
}

__all__ = [
    "AmbiguousOrganisation",
    "Event",
    "EventPlan",
    "Filters",
    "Funnel",
    "Ledger",
    "Match",
    "MatchList",
    "MatcherError",
    "Problem",
    "Profile",
    "ProfileError",
    "ProfileView",
    "Source",
    "UnknownOrganisation",
    "Workspace",
    "evaluate",
    "explain",
    "load_folder",
    "load_profile",
    "match",
    "match_need",
    "open_workspace",
    "parse_profile",
    "plan_event",
    "render_explanation",
    "render_matches",
    "to_json",
    "__version__",
]


def __getattr__(name: str):
    if name in _API:
        value = getattr(importlib.import_module(f"{__name__}.{_API[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))


if TYPE_CHECKING:
    from .errors import AmbiguousOrganisation, MatcherError, Problem, ProfileError, UnknownOrganisation
    from .explanations.results import Match, MatchList, ProfileView
    from .office.event import EventPlan
    from .office.ledger import Event, Funnel, Ledger
    from .output.text import render_explanation, render_matches, to_json
    from .profiles.load import load_folder, load_profile, parse_profile
    from .profiles.model import Profile, Source
    from .ranking.ranker import Filters
    from .workspace import Workspace, evaluate, explain, match, match_need, open_workspace, plan_event
