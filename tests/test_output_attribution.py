"""Evidence in words, the same in every renderer: a statement resting on somebody else's remark reads "reported
by NAME, about X", never as the organisation's own offer or need; sources are cited by title, outlet and date
(the file name only as a link target); a quote that is not in its article is never shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.explanations.directions import Evidence
from matcher.output.attribution import attribution, citation, claim, credit, evidence_line, published, unshown

ROOT = Path(__file__).resolve().parents[1]
HUNTER = "Hunter Zhang (vice president, Ehang)"
CGTN = dict(title="China-Russia Cooperation", outlet="CGTN", date="2018-09-15")
REMARK = Evidence(
    "000.txt", "Russia has a strong technological accumulation", HUNTER, "Russia", **CGTN, in_article=True
)
NARRATION = Evidence("000.txt", "Russia is equipped with experts", about="Russia", **CGTN, in_article=True)
OWN = Evidence("000.txt", "Ehang makes drones", **CGTN, in_article=True)
UNBACKED = Evidence("a.txt", "Volga Lasers builds rockets.", in_article=False)


def invoke(*args: str) -> str:
    result = CliRunner(env={"MATCHER_PROFILES": str(ROOT / "profiles")}).invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    "ev, expected",
    [
        (REMARK, f"reported by {HUNTER}, about Russia — CGTN, 15 Sep 2018"),
        (NARRATION, "reported by CGTN, about Russia — 15 Sep 2018"),  # the outlet is not named twice
        (OWN, "CGTN, 15 Sep 2018"),
        (Evidence("a.txt", "q", speaker="Li Lifan"), "reported by Li Lifan — a.txt"),
    ],
)
def test_attribution(ev, expected):
    assert attribution(ev) == expected


@pytest.mark.parametrize(
    "ev, expected",
    [
        (Evidence("a.txt", "q", outlet="CGTN", date="2018-09-15", title="T"), "CGTN, 15 Sep 2018"),
        (Evidence("a.txt", "q", title="T"), "“T”"),
        (Evidence("a.txt", "q"), "a.txt"),  # the file name only where nothing else is known
        (Evidence("a.txt", "q", date="not a date"), "not a date"),
    ],
)
def test_citation(ev, expected):
    assert citation(ev) == expected


def test_citation_with_the_title():
    assert citation(OWN, title=True) == "“China-Russia Cooperation”, CGTN, 15 Sep 2018"
    assert published("2021-04-19") == "19 Apr 2021" and published(None) is None


@pytest.mark.parametrize(
    "org, verb, ev, expected",
    [
        (
            "Russian Academy of Sciences",
            "offers",
            REMARK,
            f"Russian Academy of Sciences, reported by {HUNTER}, about Russia:",
        ),
        ("Ehang", "offers", OWN, "Ehang offers"),
        ("Ehang", "needs", None, "Ehang needs"),
        (None, "offers", OWN, "offers"),
        (None, "offers", NARRATION, "reported by CGTN, about Russia:"),
        ("Volga", "offers", UNBACKED, "Volga offers"),
        ("Volga", "offers", Evidence("a.txt", "q", speaker="X", in_article=False), "Volga, reported by X:"),
    ],
)
def test_claim(org, verb, ev, expected):
    assert claim(org, verb, ev) == expected


def test_evidence_lines():
    assert evidence_line("offer", OWN, "…drones…") == "offer, as reported: “…drones…” — CGTN, 15 Sep 2018"
    assert evidence_line("offer", REMARK) == (
        f"offer, reported by {HUNTER}, about Russia: “Russia has a strong technological accumulation”"
        " — CGTN, 15 Sep 2018"
    )
    assert credit(OWN) is None and unshown(OWN) is None and unshown(None) is None


def test_a_quote_not_in_its_article_is_never_shown():
    line = evidence_line("offer", UNBACKED)
    assert "rockets" not in line
    assert line == "offer: its quote is not in a.txt, so it is not shown (run matcher validate)"


def test_match_detail_credits_the_remark(tmp_path):
    text = invoke("match", "--org", "Ehang", "--detail", "--top", "1")
    assert f"— Russian Academy of Sciences, reported by {HUNTER}, about Russia: “strong technological" in text
    assert "Russian Academy of Sciences offers “strong technological" not in text
    assert f"offer, reported by {HUNTER}, about Russia: “" in text and "— CGTN, 15 Sep 2018" in text
    assert ".txt" not in text  # file names are not for reading


def test_the_compact_list_credits_the_remark_too():
    text = invoke("match", "--org", "Ehang", "--top", "1")
    assert f"— Russian Academy of Sciences, reported by {HUNTER}, about Russia: “strong technological" in text


def test_show_cites_sources_by_title_outlet_and_date():
    text = invoke("show", "Russian Academy of Sciences")
    assert f"evidence, reported by {HUNTER}, about Russia: “namely pipeline inspection" in text
    assert (
        "“the Chinese were likely to focus on Russia’s advanced aerospace and military capabilities.” —"
        " “China and Russia plan to boost scientific cooperation with focus on artificial intelligence and other"
        " strategic areas”, South China Morning Post, 19 Apr 2021"
    ) in text
    assert ".txt" not in text


def test_the_report_links_the_article_by_its_title(tmp_path):
    out = tmp_path / "r.html"
    invoke("report", "--org", "Ehang", "--top", "1", "-o", str(out))
    html = out.read_text(encoding="utf-8")
    assert f"<strong>Russian Academy of Sciences, reported by {HUNTER}, about Russia:</strong>" in html
    assert "Russian Academy of Sciences offers</strong>" not in html
    links = re.findall(r'<a class="source" href="([^"]+)">([^<]+)</a>', html)
    assert links and all(href.endswith(".txt") and ".txt" not in label for href, label in links)
    assert (
        "000_601ee1cda363bd9a.txt",
        "“China-Russia Cooperation: Guangdong companies to benefit from partnership”, CGTN, 15 Sep 2018",
    ) in links


@pytest.fixture
def unbacked(quoted):
    """A folder where Volga Lasers' one quote is not in its article."""
    return quoted("Volga Lasers builds rockets.")


def test_every_renderer_leaves_an_unbacked_quote_out(unbacked, tmp_path):
    flag = "its quote is not in a.txt, so it is not shown (run matcher validate)"
    detail = invoke("match", "--org", "Sky Drones", "--detail", "--profiles", str(unbacked))
    assert "Volga Lasers offers “airborne laser scanning of pipelines”" in detail  # the statement, flagged
    assert f"offer: {flag}" in detail and "rockets" not in detail
    shown = invoke("show", "Volga Lasers", "--profiles", str(unbacked))
    assert f"evidence: {flag}" in shown and "Its quote is not in a.txt" in shown and "rockets" not in shown
    out = tmp_path / "r.html"
    invoke("report", "--org", "Sky Drones", "-o", str(out), "--profiles", str(unbacked))
    html = out.read_text(encoding="utf-8")
    assert f'<p class="flag">offer: {flag}</p>' in html and "rockets" not in html
