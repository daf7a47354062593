"""The report and the review desk, in a real browser: Playwright driving Debian's Chromium."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.office.ledger import Ledger
from matcher.paths import bundled

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"

browser_needed = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install chromium); CI installs it",
)
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def desk(tmp_path):
    """The desk over the bundled profiles and a fresh ledger, on a free port of 127.0.0.1."""
    from werkzeug.serving import make_server

    from matcher.web.app import create_app

    ledger = tmp_path / "matcher.db"
    server = make_server("127.0.0.1", 0, create_app(bundled("profiles"), ledger), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", ledger
    server.shutdown()
    thread.join(5)


def serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page (axe-playwright-python ships axe-core)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


@browser_needed
def test_desk_shows_matches_and_records_a_decision(browser, desk):
    url, ledger = desk
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(url + "/")
    assert page.get_by_role("heading", name="Organisations").is_visible()
    page.get_by_label("Search by name or alias").fill("eha")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("link", name="Ehang").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "organisations.png"))
    assert serious(page) == []

    page.get_by_role("link", name="Ehang").click()
    first = page.locator("article.match").first
    assert (
        first.get_by_role("heading", level=2).inner_text() == "1. Russian Academy of Sciences (RU, research-institute)"
    )
    assert first.get_by_text("Our cooperation will mostly focus on industry applications").first.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "organisation.png"), full_page=False)
    assert serious(page) == []

    first.get_by_label("Reason (for not relevant or declined)").select_option("no-fit")
    first.get_by_role("button", name="Not relevant").click()
    assert page.get_by_role("status").inner_text() == "Recorded Russian Academy of Sciences: not-relevant (no-fit)."
    page.reload()
    names = page.locator("article.match h2").all_inner_texts()
    assert not any("Russian Academy of Sciences" in n for n in names)
    with Ledger(ledger) as book:
        events = book.history("Ehang")
    assert [(e.org_a, e.org_b, e.stage, e.reason) for e in events] == [
        ("Ehang", "Russian Academy of Sciences", "not-relevant", "no-fit")
    ]

    page.goto(url + "/pair?a=Ehang&b=Russian%20Academy%20of%20Sciences")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Ehang and Russian Academy of Sciences")
    page.screenshot(path=str(SCREENSHOTS / "pair.png"))
    assert serious(page) == []
    page.goto(url + "/funnel")
    assert page.get_by_role("cell", name="proposed", exact=True).is_visible()
    assert "not-relevant 1" in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "funnel.png"))
    assert serious(page) == []
    page.close()


@browser_needed
def test_report_is_self_contained_and_escapes_markup(write_profile, browser, tmp_path):
    folder = tmp_path / "p"
    write_profile(
        folder,
        "a",
        name="Alpha <script>alert(1)</script>",
        country="CN",
        kind="company",
        needs=["laser scanning"],
        capabilities=["drone platforms"],
    )
    write_profile(
        folder,
        "b",
        name="Beta",
        country="RU",
        kind="company",
        capabilities=["laser scanning"],
        needs=["drone platforms"],
    )
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "--org", "Beta", "-o", str(out), "--profiles", str(folder)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    requests, dialogs = [], []
    page = browser.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(out.as_uri())
    assert requests == [out.as_uri()]  # nothing fetched: no CDN, no font, no image
    assert dialogs == [] and page.evaluate("document.scripts.length") == 0
    assert page.get_by_role("heading", level=2).first.inner_text() == "1. Alpha <script>alert(1)</script> (CN, company)"
    page.close()

    bundled_out = tmp_path / "ehang.html"
    assert CliRunner().invoke(cli, ["report", "--org", "Ehang", "-o", str(bundled_out)]).exit_code == 0
    page = browser.new_page(viewport={"width": 1000, "height": 1200})
    page.goto(bundled_out.as_uri())
    page.screenshot(path=str(SCREENSHOTS / "report.png"))
    assert serious(page) == []
    page.close()


def test_a_post_from_another_site_is_refused(tmp_path):
    """Without the page's token, or from another origin, /decide writes nothing (no browser needed)."""
    pytest.importorskip("flask")
    from matcher.web.app import create_app

    ledger = tmp_path / "m.db"
    app = create_app(bundled("profiles"), ledger)
    client = app.test_client()
    form = {"a": "Ehang", "b": "MTS", "stage": "met", "token": "guess"}
    assert client.post("/decide", data=form).status_code == 400
    page = client.get("/org/Ehang").get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    evil = client.post("/decide", data={**form, "token": token}, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 400 and not ledger.exists()
    ok = client.post("/decide", data={**form, "token": token}, headers={"Origin": "http://localhost"})
    assert ok.status_code == 303
    with Ledger(ledger) as book:
        assert [e.stage for e in book.history()] == ["met"]
    assert client.get("/org/Nobody").status_code == 404


def test_desk_picks_up_profiles_changed_on_disk(write_profile, tiny, tmp_path):
    pytest.importorskip("flask")
    from matcher.web.app import create_app

    client = create_app(tiny, tmp_path / "m.db").test_client()
    assert "Zeta" not in client.get("/").get_data(as_text=True)
    write_profile(tiny, "zeta", name="Zeta", country="DE", kind="company", capabilities=["laser scanning"])
    assert "Zeta" in client.get("/").get_data(as_text=True)


@browser_needed
def test_desk_on_a_store_ranks_for_the_newest_grants(browser, store, tmp_path):
    """A CORDIS store's organisation lists no needs: its page names the grants that stand for them and
    gives every signal's share, in place of the two directions of a profile folder's match."""
    from werkzeug.serving import make_server

    from matcher.web.app import create_app

    server = make_server("127.0.0.1", 0, create_app(store, tmp_path / "m.db"), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"http://127.0.0.1:{server.server_port}/org/Beta%20Institute")
        main = page.inner_text("main")
        assert "Beta Institute lists no needs: it is matched for work like its newest projects:" in main
        assert page.locator("ul.needs-from li").all_inner_texts() == [
            "ACR3: Hydrogen electrolysis membranes — CORDIS grant 3 (signed 2022-05-01)",
            "ACR1: Hydrogen storage in salt caverns — CORDIS grant 1 (signed 2022-01-10)",
        ]
        first = page.locator("article.match").first
        assert first.get_by_text("ranked for a need").is_visible()
        assert first.get_by_role("cell", name="past joint work with the seeker").is_visible()
        assert "lists no needs, so the score rests" not in main
        assert serious(page) == []
        page.close()
    finally:
        server.shutdown()
        thread.join(5)
