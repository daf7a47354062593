"""The review desk under load, on 127.0.0.1 only: requests, concurrency, errors and latency; and the first page
of a store's organisation list.

Serves the desk on waitress (``web.app.make_server``, as ``matcher serve`` does) over a copy of the bundled
profiles with a fresh ledger and one editor account, logs in once, then ``--workers`` threads send
``--requests`` requests between them, each on its own keep-alive connection: the pages of the day's work in
turn (organisations, an organisation's partners, a pair, a need search, history, funnel, the stylesheet) and
every tenth a decision posted to the ledger. Prints how many answered with which status, the latency
percentiles and the throughput. With ``--store`` it also times the first page of that store's organisation
list, cold (the desk's first request: the store opened) and warm.

    python benchmarks/desk_load.py --requests 1000 --workers 20 --store /tmp/cordis-store
"""

from __future__ import annotations

import argparse
import http.client
import logging
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from waitress.wasyncore import close_all

from matcher.office.accounts import Accounts
from matcher.office.ledger import Ledger
from matcher.paths import bundled
from matcher.web.app import make_server
from matcher.web.desk import Settings

PAGES = [
    "/",
    "/org/Ehang",
    "/pair?a=Ehang&b=Russian%20Academy%20of%20Sciences",
    "/search?need=laser%20scanning%20of%20pipelines",
    "/org/Gomselmash?strength=weak&top=20",
    "/history",
    "/funnel",
    "/static/style.css",
]
PARTNERS = ["MTS", "Huawei", "Tencent", "Baidu", "Zongshen"]
PASSWORD = "load test password"


def start(settings: Settings) -> tuple[object, int]:
    server = make_server(settings, host="127.0.0.1", port=0, threads=8)
    server.thread = threading.Thread(target=server.run, daemon=True)
    server.thread.start()
    return server, server.effective_port


def stop(server) -> None:
    """Stop a server ``start`` started: requests in flight finished, then its sockets closed in its own thread."""
    server.task_dispatcher.shutdown()
    server.trigger.pull_trigger(lambda: close_all(server._map))
    server.thread.join(10)


def log_in(port: int) -> tuple[str, str]:
    """The session cookie and the form token of the load test's editor."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    con.request("GET", "/login")
    response = con.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body = urlencode({"csrf_token": token, "username": "Load", "password": PASSWORD})
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    con.request("POST", "/login", body, headers)
    response = con.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    con.request("GET", "/", headers={"Cookie": cookie})
    response = con.getresponse()
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode()).group(1)
    cookie = (response.getheader("Set-Cookie") or cookie).split(";")[0]  # the session now holds the form token
    return cookie, token


def load(port: int, requests: int, workers: int) -> tuple[Counter, list[float], float]:
    cookie, token = log_in(port)
    statuses: Counter = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker() -> None:
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for i in counter:
            t = time.perf_counter()
            try:
                if i % 10 == 9:
                    body = urlencode(
                        {"csrf_token": token, "a": "Ehang", "b": PARTNERS[i % 5], "stage": "proposed", "note": f"#{i}"}
                    )
                    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
                    con.request("POST", "/decide", body, headers)
                else:
                    con.request("GET", PAGES[i % len(PAGES)], headers={"Cookie": cookie})
                response = con.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                con.close()
                con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            with lock:
                statuses[status] += 1
                latencies.append(time.perf_counter() - t)
        con.close()

    t = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return statuses, latencies, time.perf_counter() - t


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def store_front_page(store: Path, ledger: Path) -> None:
    server, port = start(Settings(store, ledger, login=False))
    try:
        for label in ("cold (store opened)", "warm", "warm, page 200", "warm, name search 'univ'"):
            path = {"warm, page 200": "/?page=200", "warm, name search 'univ'": "/?q=univ"}.get(label, "/")
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            t = time.perf_counter()
            con.request("GET", path)
            response = con.getresponse()
            body = response.read()
            took = time.perf_counter() - t
            rows = body.count(b"<tr>") - 1
            print(f"store front page {label}: {response.status}, {len(body) / 1024:.0f} KB, {rows} rows, {took:.3f} s")
            con.close()
    finally:
        stop(server)


def main() -> None:
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N": the load is meant
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--store", type=Path, help="A store (matcher import-cordis) to time the first page of.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "profiles"
        shutil.copytree(bundled("profiles"), folder)
        ledger = Path(tmp) / "matcher.db"
        with Ledger(ledger) as book:
            Accounts(book).add("Load", "editor", PASSWORD)
        server, port = start(Settings(folder, ledger))
        try:
            t = time.perf_counter()
            log_in(port)
            print(f"first request (workspace opened): {time.perf_counter() - t:.2f} s")
            statuses, latencies, took = load(port, args.requests, args.workers)
        finally:
            stop(server)
        errors = sum(n for s, n in statuses.items() if not (isinstance(s, int) and s < 500))
        print(f"{args.requests} requests, {args.workers} at once: {dict(sorted(statuses.items(), key=str))}")
        print(f"errors (5xx or no answer): {errors}")
        p50, p95, p99 = (percentile(latencies, q) for q in (0.5, 0.95, 0.99))
        rate = len(latencies) / took
        print(
            f"latency p50 {p50:.3f} s, p95 {p95:.3f} s, p99 {p99:.3f} s, max {max(latencies):.3f} s;"
            f" mean {statistics.mean(latencies):.3f} s; {rate:.0f} requests/s"
        )
        with Ledger(ledger) as book:
            print(f"decisions in the ledger: {len(book.history())} (posted: {args.requests // 10})")
        if args.store:
            store_front_page(args.store, Path(tmp) / "store.db")


if __name__ == "__main__":
    main()
