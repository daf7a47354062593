"""Render results as HTML with Jinja2 (autoescaping on): the self-contained report and the desk's pages."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment of matcher's templates; every value is HTML-escaped unless marked safe."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["pct"] = lambda x: f"{x:.0%}"
    return env


def stylesheet() -> str:
    return (HERE / "static" / "style.css").read_text(encoding="utf-8")


def render(template: str, **values) -> str:
    return environment().get_template(template).render(**values)


def report_html(result, *, filters: str = "", made: str | None = None) -> str:
    """A ``MatchList`` as one self-contained HTML page: CSS inline, no script, nothing fetched."""
    from .. import __version__

    made = made or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return render("report.html", result=result, filters=filters, made=made, css=stylesheet(), version=__version__)
