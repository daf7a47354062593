"""Every organisation's partners at once: the same as match gives, on threads, processes or a Dask cluster."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from matcher.batch.cluster import ClusterError, parse_address, partitions
from matcher.cli import cli
from matcher.index.build import build_index
from matcher.index.store import save_index
from matcher.workspace import open_workspace

from .support import ENGINES, needs_numba


@pytest.fixture(scope="module")
def big_store(zipf_profiles, tmp_path_factory):
    """5,000 organisations: above the size the batch ranks in one block, so the large-set engine runs."""
    store = tmp_path_factory.mktemp("dask") / "store"
    index = build_index(zipf_profiles(5000, 3000, (4, 12), 3, capabilities=2, no_needs_every=4))
    save_index(index, store, store={"test": 5000})
    return store


def set_prune_min(monkeypatch, n: int) -> None:
    """Prune from ``n`` organisations up, on either engine."""
    import matcher.ranking.score as score

    monkeypatch.setattr(score, "PRUNE_MIN", n)
    monkeypatch.setattr(score, "COMPILED_PRUNE_MIN", n)


def test_addresses():
    assert parse_address("local:2") == ("local", 2)
    assert parse_address("tcp://10.0.0.5:8786") == ("remote", "tcp://10.0.0.5:8786")
    assert parse_address("scheduler:8786") == ("remote", "scheduler:8786")
    for bad in ("local:0", "local:two", "scheduler"):
        with pytest.raises(ClusterError, match="--dask"):
            parse_address(bad)


def test_partitions_cover_every_row_once_in_order():
    parts = partitions(10, 4)
    assert [p.tolist() for p in parts] == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
    assert [len(p) for p in partitions(3, 8)] == [1, 1, 1]
    assert np.concatenate(partitions(1001, 7)).tolist() == list(range(1001))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_batch_on_two_workers_writes_the_same_bytes(big_store, tmp_path, fmt):
    runner = CliRunner()
    one, two = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
    r = runner.invoke(cli, ["batch", "--profiles", str(big_store), "-o", str(one), "--top", "5"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["batch", "--profiles", str(big_store), "-o", str(two), "--top", "5", "--dask", "local:2"])
    assert r.exit_code == 0, r.output
    assert "Wrote" in r.output and one.stat().st_size > 100_000
    assert one.read_bytes() == two.read_bytes()


def test_an_unreachable_cluster_leaves_the_old_file(big_store, tmp_path, monkeypatch):
    monkeypatch.setattr("matcher.batch.cluster.CONNECT_TIMEOUT", "1s")
    out = tmp_path / "partners.csv"
    out.write_text("old\n")
    args = ["batch", "--profiles", str(big_store), "-o", str(out), "--dask", "tcp://127.0.0.1:9"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 1 and "Cannot reach the Dask scheduler at tcp://127.0.0.1:9" in r.output
    assert out.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["partners.csv"]
    r = CliRunner().invoke(cli, [*args[:-2], "--dask", "local:2", "--workers", "2"])
    assert r.exit_code == 2 and "--workers is for this machine" in r.output


def test_a_worker_that_dies_mid_run_has_its_partitions_run_again(big_store):
    """One of two workers is killed once the first partition is back: what it held or was running is
    computed again elsewhere (or on the worker its nanny restarts), and the result is still exact."""
    import os

    from distributed import Client, LocalCluster

    from matcher.batch import cluster
    from matcher.batch.local import all_top_partners

    matcher = open_workspace(big_store).matcher
    want = list(all_top_partners(matcher.ranking, top=5, workers=1))
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=50) as local:
        with Client(local) as client:
            job = cluster.Job(str(big_store), 5, False, False, False)
            stream = cluster.top_partners(job, matcher.index.n_orgs, client, parts=16)
            got = [next(stream)]
            victim = sorted(client.nthreads())[0]
            try:
                client.run(os._exit, 1, workers=[victim])
            except Exception:  # the worker dies before it can answer
                pass
            got += list(stream)
    assert [p.org for p in got] == [p.org for p in want]
    for a, b in zip(got, want):
        assert a.rows.tolist() == b.rows.tolist() and a.score.tolist() == b.score.tolist()


@pytest.mark.parametrize("compiled", ENGINES)
@pytest.mark.parametrize("strategy", ["blockwise", "one worker", "two workers", "two workers, pruned"])
def test_batch_gives_the_partners_match_gives(zipf_profiles, strategy, compiled, monkeypatch):
    """Every strategy of all_top_partners returns, for every organisation, what top_partners returns:
    one sparse product for all, or each organisation's query on one or two workers (processes with the
    numpy engine, threads running the compiled loop), exhaustive or pruned."""
    import matcher.batch.local as batch
    from matcher.explanations.matching import Matcher

    profiles = zipf_profiles(120, 150, (3, 12), 3, capabilities=1, no_needs_every=4)
    links = [(i, (i * 7 + 1) % 120, 1.0) for i in range(120)]
    m = Matcher(build_index(profiles, links=links, common_df=6), compiled=compiled)
    if strategy != "blockwise":
        monkeypatch.setattr(batch, "BLOCK_MAX", 0)
        monkeypatch.setattr(batch, "CHUNK", 16)
    if strategy.endswith("pruned"):
        set_prune_min(monkeypatch, 0)
    workers = 2 if strategy.startswith("two") else 1
    done = []
    for new_only in (False, True):
        got = list(batch.all_top_partners(m.ranking, top=5, new_only=new_only, workers=workers, progress=done.append))
        assert [g.org for g in got] == list(range(120))
        for g in got:
            want = m.ranking.top_partners(g.org, top=5, new_only=new_only)
            assert list(g.rows) == [b for b, *_ in want]
            assert np.allclose(g.score, [s for _, s, *_ in want], atol=1e-12)
            assert (g.forward is None) == (not m.index.has_needs[g.org])
            assert [x if x == x else None for x in g.backward] == pytest.approx([bk for *_, bk in want])
    assert sum(done) == 240
    # some organisations only, in the order given: the same partners as for everyone
    everyone = {g.org: list(g.rows) for g in batch.all_top_partners(m.ranking, top=5, workers=1)}
    some = list(batch.all_top_partners(m.ranking, top=5, orgs=[77, 3, 3, 119], workers=workers))
    assert [g.org for g in some] == [77, 3, 3, 119]
    assert all(list(g.rows) == everyone[g.org] for g in some)


@needs_numba
def test_abandoned_threaded_batch_stops_its_threads(zipf_profiles, monkeypatch):
    """A batch stopped early (a closed generator, as on Ctrl-C) cancels its queued chunks and leaves no
    thread running."""
    import threading

    import matcher.batch.local as batch
    from matcher.explanations.matching import Matcher

    monkeypatch.setattr(batch, "BLOCK_MAX", 0)
    monkeypatch.setattr(batch, "CHUNK", 2)
    m = Matcher(build_index(zipf_profiles(120, 150, (3, 12), 3, capabilities=1, no_needs_every=4)), compiled=True)
    before = threading.active_count()
    partners = batch.all_top_partners(m.ranking, top=3, workers=2)
    first = next(partners)
    partners.close()
    assert first.org == 0 and len(first.rows) == 3
    assert threading.active_count() == before
