"""The desk on a network, without a browser: logins and roles, the Host allow-list, CSRF, the headers that stop
framing and script, the body limit, encoded links, a reverse proxy, and 1,000 requests 20 at a time."""

from __future__ import annotations

import csv
import getpass
import html
import http.client
import io
import re
import socket
import threading
import types
from collections import Counter
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.office.accounts import Accounts
from matcher.office.ledger import Ledger
from matcher.web.app import create_app
from matcher.web.desk import LOCAL_HOSTS, Settings

STABLE = ["/", "/org/Ehang", "/pair?a=Ehang&b=MTS", "/search?need=drone", "/agenda", "/funnel", "/history"]
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def office(tmp_path, make_office):
    return make_office(tmp_path)


@pytest.fixture
def client(office):
    profiles, ledger, _, _ = office
    return create_app(Settings(profiles, ledger)).test_client()


def token(client, path="/login") -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def log_in(client, name, password="correct horse 1", **extra):
    return client.post("/login", data={"csrf_token": token(client), "username": name, "password": password, **extra})


def events(ledger):
    with Ledger(ledger) as book:
        return book.history()


def test_every_page_needs_a_login_and_then_answers_at_its_stable_address(client):
    for path in STABLE:
        response = client.get(path)
        assert response.status_code == 302, path
        assert urlsplit(response.location).path == "/login"
        assert parse_qs(urlsplit(response.location).query)["next"] == [path]
    assert client.post("/decide", data={"csrf_token": token(client), "a": "Ehang"}).status_code == 401
    assert log_in(client, "Vi Viewer").status_code == 303
    for path in STABLE:
        assert client.get(path).status_code == 200, path


def test_what_each_role_may_do(client, office):
    _, ledger, _, _ = office
    decision = {"a": "Ehang", "b": "MTS", "stage": "accepted", "note": "call Monday", "by": "The Director"}
    log_in(client, "Vi Viewer")
    for path in ("/new", "/edit/Ehang", "/users"):
        assert client.get(path).status_code == 403, path
    refused = client.post("/decide", data={**decision, "csrf_token": token(client, "/")})
    assert refused.status_code == 403
    assert "Only editor or admin accounts may record decisions and edit profiles; Vi Viewer is a viewer." in (
        refused.get_data(as_text=True)
    )
    assert events(ledger) == []

    log_in(client, "Ed Editor")
    assert client.get("/edit/Ehang").status_code == 200 and client.get("/users").status_code == 403
    done = client.post("/decide", data={**decision, "csrf_token": token(client, "/")})
    assert done.status_code == 303 and done.location == "/org/Ehang"
    [event] = events(ledger)
    assert (event.stage, event.note, event.recorded_by) == ("accepted", "call Monday", "Ed Editor")  # not "by="

    log_in(client, "Ada Admin")
    added = client.post(
        "/users",
        data={"csrf_token": token(client, "/users"), "action": "add", "name": "Rita", "role": "viewer"}
        | {"password": "rita's password"},
    )
    assert added.status_code == 303 and "Added Rita (viewer)." in client.get("/users").get_data(as_text=True)


def test_a_session_ends_when_its_password_changes_or_the_account_goes(client, office):
    _, ledger, _, _ = office
    log_in(client, "Vi Viewer")
    assert client.get("/").status_code == 200
    with Ledger(ledger) as book:
        Accounts(book).set_password("Vi Viewer", "a new password")
    assert client.get("/").status_code == 302
    log_in(client, "Vi Viewer", "a new password")
    with Ledger(ledger) as book:
        Accounts(book).remove("Vi Viewer")
    assert client.get("/").status_code == 302


def test_failed_logins_are_counted_and_slowed(client, office):
    _, ledger, _, _ = office
    for _ in range(3):
        assert log_in(client, "Vi Viewer", "wrong password").status_code == 401
    refused = log_in(client, "Vi Viewer")  # the right password, but the account waits now
    assert refused.status_code == 429 and "try again in 1 second." in refused.get_data(as_text=True)
    with Ledger(ledger) as book:
        vi = Accounts(book).get("Vi Viewer")
    assert (vi.failed_logins, vi.failed_total) == (3, 4)
    for name in ("Nobody", "Noone"):  # five failures from one address, whatever the names
        assert log_in(client, name, "guess").status_code == 401
    assert "from this address" in log_in(client, "Ed Editor").get_data(as_text=True)


def test_after_a_login_only_a_path_of_the_desk(client):
    asked = client.get("/org/Russian Academy of Sciences?top=20")
    assert parse_qs(urlsplit(asked.location).query)["next"] == ["/org/Russian%20Academy%20of%20Sciences?top=20"]
    for elsewhere in ("//evil.example/x", "/\t/evil.example", "https://evil.example", "/\\evil.example"):
        assert log_in(client, "Vi Viewer", next=elsewhere).location == "/", elsewhere
    assert log_in(client, "Vi Viewer", next="/org/Ehang?top=20").location == "/org/Ehang?top=20"


def test_the_desk_answers_only_its_own_names(office):
    profiles, ledger, _, _ = office
    client = create_app(Settings(profiles, ledger)).test_client()
    refused = client.get("/login", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert "does not answer to the name &#39;evil.example&#39;" in refused.get_data(as_text=True)
    assert "--allowed-host evil.example" in refused.get_data(as_text=True)
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        assert client.get("/login", headers={"Host": host}).status_code == 200, host
    named = create_app(Settings(profiles, ledger, allowed_hosts=LOCAL_HOSTS | {"desk.example.org"})).test_client()
    assert named.get("/login", headers={"Host": "desk.example.org"}).status_code == 200


def test_headers_forbid_framing_and_script(client):
    first = client.get("/login")
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.head("/login").status_code == 200
    for response in (first, client.get("/", headers={"Host": "evil.example"})):
        csp = response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "unsafe" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
    log_in(client, "Ed Editor")
    for path in [*STABLE, "/new", "/edit/Ehang", "/agenda?slots=2&tables=1"]:
        html = client.get(path).get_data(as_text=True)
        assert "<script" not in html and " style=" not in html and "<style" not in html, path


def test_forms_only_from_the_desks_own_pages(client, office):
    _, ledger, _, _ = office
    assert client.post("/login", data={"username": "Ed Editor", "password": "correct horse 1"}).status_code == 400
    log_in(client, "Ed Editor")
    form = {"a": "Ehang", "b": "MTS", "stage": "met"}
    assert client.post("/decide", data=form).status_code == 400
    assert client.post("/decide", data={**form, "csrf_token": "guess"}).status_code == 400
    good = {**form, "csrf_token": token(client, "/")}
    for header in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/page"}):
        refused = client.post("/decide", data=good, headers=header)
        assert refused.status_code == 403 and "another site" in refused.get_data(as_text=True)
    assert events(ledger) == []
    assert client.post("/decide", data=good, headers={"Origin": "http://localhost"}).status_code == 303
    assert [e.stage for e in events(ledger)] == ["met"]


def test_a_body_over_the_limit_is_refused_unread(client):
    log_in(client, "Ed Editor")
    refused = client.post("/decide", data={"csrf_token": token(client, "/"), "note": "x" * 2_000_000})
    assert refused.status_code == 413 and "more than the desk takes" in refused.get_data(as_text=True)


def rss() -> int:
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS")).split()[1]) * 1024


@pytest.mark.skipif(not hasattr(socket, "AF_INET"), reason="needs sockets")
def test_a_300_mb_post_costs_the_server_nothing(office, serve_desk):
    profiles, ledger, _, _ = office
    with serve_desk(Settings(profiles, ledger)) as url:
        port = urlsplit(url).port
        before = rss()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"POST /decide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 300000000\r\n")
            s.sendall(b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" + b"x" * 65536)
            assert s.recv(100).startswith(b"HTTP/1.1 413")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:  # no length given: counted as read
            s.sendall(b"POST /decide HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
            answer = b""
            try:
                for _ in range(40):
                    s.sendall(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
            except OSError:
                pass  # the server closed the connection: what it answered is below
            answer = s.recv(100)
            assert answer.startswith(b"HTTP/1.1 413"), answer
        assert rss() - before < 50 * 1024 * 1024


def test_names_with_reserved_characters_have_working_links(tiny, write_profile, tmp_path):
    odd = "Lab #1 / R&D? 100%"
    write_profile(tiny, "odd", name=odd, country="DE", kind="company", capabilities=["laser scanning"])
    client = create_app(Settings(tiny, tmp_path / "m.db", login=False)).test_client()
    listing = client.get("/").get_data(as_text=True)
    link = html.unescape(re.search(r'<a href="([^"]+)">Lab #1', listing).group(1))
    assert client.get(link).status_code == 200 and odd.replace("&", "&amp;") in client.get(link).get_data(True)
    page = client.get("/org/Alpha").get_data(as_text=True)
    pair = re.search(r'<a href="(/pair\?[^"]+)">Full explanation and history of Alpha and Lab', page).group(1)
    assert f"<h1>Alpha and {odd.replace('&', '&amp;')}" in client.get(html.unescape(pair)).get_data(True)
    form = {"csrf_token": token(client, "/org/Alpha"), "a": odd, "b": "Alpha", "stage": "met", "back": "org"}
    done = client.post("/decide", data=form)
    assert done.status_code == 303 and client.get(done.location).status_code == 200
    back = client.post("/decide", data={**form, "back": "pair"})
    assert "Recorded" in client.get(back.location).get_data(as_text=True)


def test_without_logins_one_user_records_under_the_login_name(tiny, tmp_path):
    client = create_app(Settings(tiny, tmp_path / "m.db", login=False)).test_client()
    assert client.get("/").status_code == 200 and client.get("/login").status_code == 302
    assert client.get("/users").status_code == 403  # no accounts to manage
    form = {"csrf_token": token(client, "/org/Alpha"), "a": "Alpha", "b": "Beta", "stage": "met"}
    assert client.post("/decide", data=form).status_code == 303
    assert [e.recorded_by for e in events(tmp_path / "m.db")] == [getpass.getuser()]


def test_serve_checks_before_it_starts(office, tiny, store, tmp_path, monkeypatch):
    profiles, ledger, _, _ = office
    runner = CliRunner()
    public = runner.invoke(cli, ["serve", "--no-login", "--host", "0.0.0.0", "--profiles", str(tiny)])
    assert public.exit_code == 2 and "--no-login serves this machine only" in public.output
    empty = runner.invoke(cli, ["serve", "--profiles", str(tiny), "--ledger", str(tmp_path / "none.db")])
    assert empty.exit_code == 1 and "No accounts in" in empty.output and "matcher users add" in empty.output
    started = []
    monkeypatch.setattr(
        "matcher.cli.desk.make_server",
        lambda settings, **where: types.SimpleNamespace(run=lambda: started.append((settings, where))),
    )
    args = ["serve", "--host", "0.0.0.0", "--allowed-host", "Desk.Example.org", "--ledger", str(ledger)]
    assert runner.invoke(cli, [*args, "--profiles", str(profiles)]).exit_code == 0
    assert runner.invoke(cli, [*args, "--profiles", str(store)]).exit_code == 0
    (folder, where), (on_store, _) = started
    assert folder.login and folder.allowed_hosts == LOCAL_HOSTS | {"desk.example.org"} and not folder.read_only
    assert where["host"] == "0.0.0.0" and where["threads"] == 8
    assert "read-only" in on_store.read_only


def test_behind_a_proxy_its_https_marks_the_cookie_secure(office, serve_desk):
    profiles, ledger, _, _ = office
    names = LOCAL_HOSTS | {"desk.example.org"}
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "desk.example.org", "X-Forwarded-For": "10.0.0.9"}
    with serve_desk(Settings(profiles, ledger, allowed_hosts=names, proxy="127.0.0.1")) as url:
        con = http.client.HTTPConnection("127.0.0.1", urlsplit(url).port, timeout=30)
        con.request("GET", "/login", headers=forwarded)
        response = con.getresponse()
        response.read()
        assert response.status == 200 and "Secure" in response.getheader("Set-Cookie")
        assert response.getheader("Strict-Transport-Security")
    with serve_desk(Settings(profiles, ledger)) as url:  # no proxy named: its headers are dropped
        con = http.client.HTTPConnection("127.0.0.1", urlsplit(url).port, timeout=30)
        con.request("GET", "/login", headers=forwarded | {"X-Forwarded-Host": "evil.example"})
        response = con.getresponse()
        response.read()
        assert response.status == 200 and "Secure" not in response.getheader("Set-Cookie")


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def logged_in_session(port: int, name: str) -> tuple[str, str]:
    """The session cookie of ``name``, logged in over HTTP, and the form token it holds."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cookie, token = "", ""
    for method, path, body in (("GET", "/login", None), ("POST", "/login", "login"), ("GET", "/", None)):
        if body:
            body = urlencode({"csrf_token": token, "username": name, "password": "correct horse 1"})
        con.request(method, path, body, {"Cookie": cookie, **(FORM if body else {})})
        answer = con.getresponse()
        text = answer.read().decode()
        cookie = (answer.getheader("Set-Cookie") or cookie).split(";")[0]
        token = TOKEN.search(text).group(1) if TOKEN.search(text) else token
    con.close()
    return cookie, token


def test_a_thousand_requests_twenty_at_a_time_and_no_error(office, serve_desk):
    """The pages of the day's work and decisions at once (every tenth request): no 500 and no lost event."""
    profiles, ledger, _, _ = office
    partners = ["MTS", "Huawei", "Tencent", "Baidu", "Zongshen"]
    statuses: Counter = Counter()
    lock = threading.Lock()
    numbers = iter(range(1000))
    with serve_desk(Settings(profiles, ledger)) as url:
        port = urlsplit(url).port
        cookie, token = logged_in_session(port, "Ed Editor")

        def work():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            for i in numbers:
                if i % 10 == 9:
                    form = urlencode({"csrf_token": token, "a": "Ehang", "b": partners[i % 5], "stage": "proposed"})
                    c.request("POST", "/decide", form, {"Cookie": cookie, **FORM})
                else:
                    c.request("GET", STABLE[i % len(STABLE)], headers={"Cookie": cookie})
                r = c.getresponse()
                r.read()
                with lock:
                    statuses[r.status] += 1
            c.close()

        threads = [threading.Thread(target=work) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses == Counter({200: 900, 303: 100}), statuses
    assert len(events(ledger)) == 100


def test_lists_come_in_pages_that_keep_their_filters(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr("matcher.web.views.browse.PER_PAGE", 2)
    client = create_app(Settings(tiny, tmp_path / "m.db", login=False)).test_client()
    shown, path = [], "/?q=a&kind="
    while path:
        page = client.get(path).get_data(as_text=True)
        shown += re.findall(r'<a href="/org/[^"]+">([^<]+)</a>', page)
        following = re.search(r'<a href="([^"]+)" rel="next">Next</a>', page)
        path = html.unescape(following.group(1)) if following else None
        assert path is None or "q=a" in path
    assert shown == ["Alpha", "Beta", "Delta", "Gamma"]  # Epsilon has no "a" in its name
    assert "Page 2 of 2" in client.get("/?q=a&page=2").get_data(as_text=True)
    assert client.get("/?page=zero").status_code == 400


def test_a_match_list_filtered_and_downloaded(client):
    log_in(client, "Vi Viewer")

    def rows(query: str) -> list[dict]:
        response = client.get("/org/Gomselmash?format=csv&top=20&" + query)
        assert response.headers["Content-Disposition"].startswith('attachment; filename="partners of Gomselmash.csv"')
        return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    assert {r["strength"] for r in rows("strength=weak")} == {"strong", "moderate", "weak"}
    assert {r["strength"] for r in rows("")} == {"strong", "moderate"}  # the default: weak ones left out
    assert {r["strength"] for r in rows("strength=strong")} == {"strong"}
    assert {r["country"] for r in rows("strength=weak&country=RU,BY")} == {"RU", "BY"}
    assert {r["kind"] for r in rows("strength=weak&kind=public-body")} == {"public-body"}
    assert "Zongshen" in {r["name"] for r in rows("")} and "Zongshen" not in {r["name"] for r in rows("new=1")}
    report = client.get("/org/Gomselmash?format=report")
    assert report.mimetype == "text/html" and "<script" not in report.get_data(as_text=True)
    assert client.get("/org/Gomselmash?strength=great").status_code == 400
    assert client.get("/org/Gomselmash?country=Narnia").status_code == 400
    history = client.get("/history?format=csv").get_data(as_text=True)
    assert history.splitlines()[0] == "when,org_a,org_b,stage,reason,note,recorded_by,recorded_at,id"


def test_a_port_in_use_is_named_with_the_fix(tiny, tmp_path):
    """Another server on the port: one line saying so, before the desk claims to run there."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli,
            ["serve", "--no-login", "--port", str(port), "--profiles", str(tiny), "--ledger", str(tmp_path / "l.db")],
        )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: Port {port} on 127.0.0.1 is in use (another desk or server?):"
        " stop it, or choose another with --port.\n"
    )
