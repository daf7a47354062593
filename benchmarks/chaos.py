"""Kill matcher while it writes, and write to one ledger from several processes at once; count what survives.

Three runs, each on its own scratch folder (``--work``, a temporary folder by default):

1. *Store replacement.* ``matcher import-cordis --force`` replaces a store again and again, alternately
   with the grants signed before 2023 and before 2024 of a synthetic CORDIS set, and is killed (SIGKILL:
   nothing of its own runs) at a random moment of its run, or at each named step of the replacement
   (``paths.checkpoint_hook``). After each run the store is opened: the old one, the new one, or lost. A run
   that said "Wrote ..." before the kill is *acknowledged*: its store must be the one found. Half of the
   runs swap folders with ``renameat2(RENAME_EXCHANGE)``, half with two renames (as where the system has no
   exchange). Leftovers of killed runs are counted, and must be gone after the next run.
2. *Batch output.* ``matcher batch -o partners.csv`` killed at random: the file is the old one or a whole
   new one, never a part, and the next run removes the killed one's temporary file.
3. *Ledger.* Rounds of 4 processes recording 150 events each on a new ledger, one of them killed at a
   random moment: every event a ``record`` returned (acknowledged) must be in the ledger (kept), none lost,
   no writer may fail, and the database must pass ``PRAGMA integrity_check``.

    python benchmarks/chaos.py                   # about 10 minutes on 2 cores
    python benchmarks/chaos.py --rounds 10 --ledger-rounds 5 --json chaos.json

The numbers in docs/reliability.md come from this script.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("written", "synced", "aside", "swapped")
CLI = textwrap.dedent(
    """
    import os, signal, sys
    from matcher import paths
    step, how = os.environ.get("CHAOS_STEP", ""), os.environ.get("CHAOS_SWAP", "exchange")
    if step:
        paths.checkpoint_hook = lambda name: name == step and os.kill(os.getpid(), signal.SIGKILL)
    if how == "two-renames":
        paths._exchange = lambda a, b: False
    from matcher.cli import cli
    cli(sys.argv[1:], prog_name="matcher")
    """
)


def synthetic_cordis(folder: Path, grants: int, orgs: int, seed: int = 0) -> None:
    """A CORDIS export of ``grants`` grants (2021-2023) among ``orgs`` organisations, 2 to 5 each."""
    rng = random.Random(seed)
    words = [f"{a}{b}{c}" for a in "bdfgklmnprst" for b in "aeiou" for c in ("n", "r", "l", "x", "m", "")]
    folder.mkdir(parents=True, exist_ok=True)
    columns = ["project_id", "acronym", "title", "objective", "keywords", "start_date", "ec_signature_date", "topic",
               "topic_title", "legal_basis", "legal_basis_title", "euroscivoc", "funding_scheme"]  # fmt: skip
    with open(folder / "projects.csv", "w", newline="", encoding="utf-8") as f, \
            open(folder / "participations.csv", "w", newline="", encoding="utf-8") as g:  # fmt: skip
        projects, parts = csv.writer(f), csv.writer(g)
        projects.writerow(columns)
        parts.writerow(["project_id", "org_id", "role"])
        for p in range(grants):
            year = 2021 + p * 3 // grants
            day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            title = " ".join(rng.choices(words, k=8))
            objective = " ".join(rng.choices(words, k=60))
            projects.writerow([p, f"A{p}", title, objective, "", day, day, f"HORIZON-CL{p % 6}-01",
                               "", f"HORIZON.2.{p % 6}", "Cluster", "/engineering", "HORIZON-RIA"])  # fmt: skip
            members = rng.sample(range(orgs), rng.randint(2, 5))
            for k, org in enumerate(members):
                parts.writerow([p, 1000 + org, "coordinator" if k == 0 else "participant"])
    with open(folder / "organisations.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["org_id", "name", "short_name", "country", "activity_type"])
        for org in range(orgs):
            out.writerow([1000 + org, f"Organisation {org}", "", "DE", "PRC"])


def run(args: list[str], *, env: dict | None = None, kill_after: float | None = None, cwd: Path) -> tuple[int, str]:
    """``matcher ARGS`` in a subprocess, SIGKILLed after ``kill_after`` seconds; its exit code and output."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its worker processes are killed with it
    )
    try:
        out, _ = proc.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return proc.returncode, out


def store_generation(store: Path) -> str:
    """Which store is at ``store``: the grants before which date it holds, or "lost"."""
    from matcher.errors import MatcherError
    from matcher.index.catalog import open_catalog

    try:
        catalog = open_catalog(store)  # opens it as match would (and tidies beside it, as match does)
        meta = json.loads((store / "meta.json").read_text())
        catalog.index.profiles[catalog.index.n_orgs - 1]  # the last record reads
        return meta["store"]["before"]
    except (MatcherError, OSError, ValueError, KeyError, IndexError):
        return "lost"


def leftovers(folder: Path, name: str) -> tuple[int, int]:
    """Hidden temporary files and folders beside ``name`` in ``folder``, and their size in bytes."""
    found = [p for p in folder.iterdir() if p.name.startswith(f".{name}.")]
    size = sum(f.stat().st_size for p in found for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
    return len(found), size


def chaos_store(work: Path, rounds: int, rng: random.Random) -> dict:
    data = work / "cordis"
    synthetic_cordis(data, grants=3000, orgs=1500)
    store = work / "store"
    dates = ("2023-01-01", "2024-01-01")
    code, out = run(["import-cordis", str(data), "--before", dates[0], "-o", str(store)], cwd=work)
    assert code == 0, out
    started = time.monotonic()
    code, out = run(["import-cordis", str(data), "--before", dates[1], "-o", str(store), "--force"], cwd=work)
    full = time.monotonic() - started
    assert code == 0, out
    counts: Counter = Counter(runs=2, acknowledged=2, kept=2)
    counts["seconds_per_import"] = round(full, 1)
    current = dates[1]
    plan = [("random", how) for _ in range(rounds) for how in ("exchange", "two-renames")]
    plan += [
        (step, how) for step in STEPS for how in ("exchange", "two-renames") if (step, how) != ("aside", "exchange")
    ]
    for i, (step, how) in enumerate(plan):
        new = dates[i % 2 == 0]
        env = {"CHAOS_SWAP": how, "CHAOS_STEP": "" if step == "random" else step}
        kill_after = rng.uniform(0.2, 1.1) * full if step == "random" else None
        code, out = run(["import-cordis", str(data), "--before", new, "-o", str(store), "--force"],
                        env=env, kill_after=kill_after, cwd=work)  # fmt: skip
        counts["runs"] += 1
        acknowledged = code == 0 and "Wrote" in out
        counts["acknowledged"] += acknowledged
        counts["killed"] += code == -signal.SIGKILL
        n, size = leftovers(work, "store")
        counts["leftovers_after_kills"] += n
        counts["leftover_mb_after_kills"] += size / 1e6
        found = store_generation(store)  # the next run: it tidies up too
        counts["lost"] += found == "lost"
        counts["old_kept"] += found == current and found != new
        counts["new_whole"] += found == new
        if acknowledged:
            counts["kept"] += found == new
            counts["acknowledged_lost"] += found != new
        counts["leftovers_after_next_run"] += leftovers(work, "store")[0]
        current = found if found != "lost" else current
    counts["leftover_mb_after_kills"] = round(counts["leftover_mb_after_kills"], 1)
    return dict(counts)


def chaos_batch(work: Path, rounds: int, rng: random.Random) -> dict:
    store, out = work / "store", work / "partners.csv"
    started = time.monotonic()
    code, text = run(["batch", "-o", str(out), "--profiles", str(store)], cwd=work)
    full = time.monotonic() - started
    assert code == 0, text
    whole = out.read_bytes()
    counts: Counter = Counter(runs=1, acknowledged=1)
    for _ in range(rounds):
        code, text = run(["batch", "-o", str(out), "--profiles", str(store)], kill_after=rng.uniform(0.1, 0.9) * full,
                         cwd=work)  # fmt: skip
        counts["runs"] += 1
        counts["acknowledged"] += code == 0
        counts["killed"] += code == -signal.SIGKILL
        counts["file_whole"] += out.read_bytes() == whole
        counts["file_partial"] += out.read_bytes() != whole
        counts["leftovers_after_kills"] += leftovers(work, "partners.csv")[0]
        from matcher.paths import tidy

        tidy(out)  # what the next batch to this file does first
        counts["leftovers_after_next_run"] += leftovers(work, "partners.csv")[0]
    return dict(counts)


WRITER = textwrap.dedent(
    """
    import sys, time
    from matcher.office.ledger import Ledger, LedgerError
    path, who, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    while time.time() < start:
        pass
    for i in range(n):
        try:
            with Ledger(path) as book:
                event = book.record(f"Org {who}", f"Partner {i}", "proposed", when="2026-01-01")
            print("ack", event.id, flush=True)
        except LedgerError as exc:
            print("error", exc, flush=True)
    """
)


def chaos_ledger(work: Path, rounds: int, writers: int, events: int, rng: random.Random) -> dict:
    counts: Counter = Counter()
    started = time.monotonic()
    for r in range(rounds):
        db = work / f"ledger-{r}.db"
        start = time.time() + 1.5
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(db), str(w), str(events), str(start)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
            for w in range(writers)
        ]
        victim = procs[rng.randrange(writers)]
        first = victim.stdout.readline()  # once it is writing: a kill before its first event tells nothing
        time.sleep(rng.uniform(0.0, 2.0))
        victim.kill()
        acked: set[int] = set()
        for p in procs:
            out, _ = p.communicate(timeout=600)
            for line in (first + out if p is victim else out).splitlines():
                if line.startswith("ack "):
                    acked.add(int(line.split()[1]))
                elif line.startswith("error"):
                    counts["errors"] += 1
                    counts.setdefault("first_error", line)  # type: ignore[arg-type]
        con = sqlite3.connect(db)
        stored = {row[0] for row in con.execute("SELECT id FROM events")}
        counts["integrity_ok"] += con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        counts["rounds"] += 1
        counts["writers_killed"] += victim.returncode == -signal.SIGKILL
        counts["acknowledged"] += len(acked)
        counts["kept"] += len(acked & stored)
        counts["lost"] += len(acked - stored)
        counts["stored_unacknowledged"] += len(stored - acked)  # committed just before the kill
    counts["events_per_second"] = round(counts["acknowledged"] / (time.monotonic() - started), 1)
    return dict(counts)


def table(title: str, counts: dict) -> str:
    lines = [f"### {title}", "", "| count | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in counts.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="random kills per way of swapping, and of batch")
    parser.add_argument("--ledger-rounds", type=int, default=10)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--events", type=int, default=150, help="events per writer and round")
    parser.add_argument("--seed", type=int, default=33)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the counts here")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="matcher-chaos-") as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("MATCHER_CACHE_DIR", str(work / "cache"))
        os.environ["MATCHER_SEMANTIC"] = "0"
        results = {
            "store replacement (import-cordis --force)": chaos_store(work, args.rounds, rng),
            "batch output": chaos_batch(work, args.rounds, rng),
            "ledger, concurrent writers": chaos_ledger(work, args.ledger_rounds, args.writers, args.events, rng),
        }
    for title, counts in results.items():
        print(table(title, counts))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    bad = (
        results["store replacement (import-cordis --force)"].get("lost", 0)
        + results["store replacement (import-cordis --force)"].get("acknowledged_lost", 0)
        + results["batch output"].get("file_partial", 0)
        + results["ledger, concurrent writers"].get("lost", 0)
        + results["ledger, concurrent writers"].get("errors", 0)
    )
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
