"""``matcher batch --dask``: partitions, addresses, and the same bytes from a two-worker LocalCluster."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from matcher.batch.cluster import ClusterError, parse_address, partitions
from matcher.cli import cli
from matcher.index.build import build_index
from matcher.index.store import save_index
from tests.test_cache import zipf_profiles

distributed = pytest.importorskip("distributed")


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


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """5,000 organisations: above the size the batch ranks in one block, so the large-set engine runs."""
    store = tmp_path_factory.mktemp("dask") / "store"
    index = build_index(zipf_profiles(5000, 3000, (4, 12), 3, capabilities=2, no_needs_every=4))
    save_index(index, store, store={"test": 5000})
    return store


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
    from matcher.workspace import open_workspace

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
