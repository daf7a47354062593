"""Replacing a store is atomic, and what killed runs leave is removed by the next run (issue #33).

``import-cordis --force`` deleted the old store and then renamed the new one in: a kill between the two left
57 of 58 files, unreadable. Each test here kills a subprocess (SIGKILL: no cleanup runs) at one named step of
a replacement (``paths.checkpoint_hook``), in both ways a folder is swapped in (``renameat2(RENAME_EXCHANGE)``,
and two renames where the system has no exchange), and checks that one whole store is at the path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from matcher import paths
from matcher.index.build import build_index
from matcher.index.catalog import open_catalog
from matcher.index.store import load_index, save_index
from matcher.profiles.load import load_folder

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and flock")
PARTS = 20

WRITER = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path
    from matcher import paths

    target, step, how, generation = sys.argv[1:5]
    def kill(name):
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)
    paths.checkpoint_hook = kill
    if how == "two-renames":
        paths._exchange = lambda a, b: False
    with paths.writing_folder(Path(target)) as tmp:
        for i in range({parts}):
            (tmp / f"part{{i}}.txt").write_text(generation * 1000)
            if i == {parts} // 2:
                kill("writing")
        (tmp / "meta.json").write_text(json.dumps({{"generation": generation}}))
    """
).format(parts=PARTS)


def write_generation(target: Path, generation: str, *, step: str = "", how: str = "exchange") -> int:
    """Replace ``target`` with a folder of ``generation`` in a subprocess killed at ``step``; its exit code."""
    args = [sys.executable, "-c", WRITER, str(target), step, how, generation]
    return subprocess.run(args, capture_output=True, timeout=60).returncode


def generation_of(folder: Path) -> str:
    """The generation of a whole folder (every part and its meta agree), else an AssertionError."""
    meta = json.loads((folder / "meta.json").read_text())
    parts = sorted(folder.glob("part*.txt"))
    assert len(parts) == PARTS
    assert {p.read_text() for p in parts} == {meta["generation"] * 1000}
    return meta["generation"]


def leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


STEPS = {
    # step -> the generation at the path after a kill there (and after the next run has tidied up)
    "writing": "a",
    "written": "a",
    "synced": "a",
    "aside": "a",  # two renames only: the old folder is aside, put back by the next run
    "swapped": "b",
}


@posix_only
@pytest.mark.parametrize("how", ["exchange", "two-renames"])
@pytest.mark.parametrize("step", list(STEPS))
def test_a_kill_at_any_step_leaves_one_whole_folder(tmp_path, how, step):
    if step == "aside" and how == "exchange":
        pytest.skip("the old folder is never moved aside where the system swaps in one step")
    target = tmp_path / "store"
    assert write_generation(target, "a") == 0
    assert write_generation(target, "b", step=step, how=how) == -signal.SIGKILL
    if how == "exchange" or step != "aside":  # the path never misses a whole folder
        assert generation_of(target) == STEPS[step]
    assert leftovers(target)  # what the killed run was writing (or the old folder) is still there
    paths.tidy(target)  # the next run: puts back what was aside, removes what nobody holds
    assert generation_of(target) == STEPS[step]
    assert leftovers(target) == []
    assert write_generation(target, "c", how=how) == 0  # and the next replacement goes through
    assert generation_of(target) == "c" and leftovers(target) == []


def test_the_exchange_is_used_where_the_system_has_it(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    assert paths._exchange(a, b)  # tmpfs, ext4, XFS, Btrfs...
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


@posix_only
def test_a_live_writers_temporary_file_is_not_tidied_away(tmp_path):
    out = tmp_path / "partners.csv"
    with paths.replacing(out) as tmp:
        tmp.write_text("half")
        assert paths.tidy(out) == 0  # locked by this live writer
        assert tmp.exists()
    assert out.read_text() == "half" and leftovers(out) == []


@posix_only
def test_a_killed_writers_temporary_file_is_removed_by_the_next_run(tmp_path):
    out = tmp_path / "partners.csv"
    (tmp_path / ".partners.csv.notes.tmp").write_text("the user's")  # not a name matcher gives: kept
    code = textwrap.dedent(
        """
        import os, signal, sys
        from pathlib import Path
        from matcher import paths
        paths.checkpoint_hook = lambda step: os.kill(os.getpid(), signal.SIGKILL)
        paths.write_text_atomic(Path(sys.argv[1]), "x" * 100_000)
        """
    )
    assert subprocess.run([sys.executable, "-c", code, str(out)], timeout=60).returncode == -signal.SIGKILL
    assert not out.exists() and len(leftovers(out)) == 2
    paths.write_text_atomic(out, "whole")
    assert out.read_text() == "whole"
    assert leftovers(out) == [".partners.csv.notes.tmp"]


@pytest.fixture
def two_sets(tiny, tmp_path, write_profile):
    """The tiny profiles, and a second set with one more organisation."""
    more = tmp_path / "more"
    for path in tiny.iterdir():
        (more / path.name).parent.mkdir(exist_ok=True)
        (more / path.name).write_bytes(path.read_bytes())
    write_profile(more, "zeta", name="Zeta", country="FR", kind="company", capabilities=["laser scanning"])
    return tiny, more


def save_store(profiles: Path, folder: Path, version: int) -> None:
    save_index(build_index(load_folder(profiles).profiles), folder, store={"source": "test", "version": version})


@posix_only
@pytest.mark.parametrize("step", ["written", "synced", "swapped"])
def test_a_store_replaced_by_a_killed_run_opens_whole(two_sets, tmp_path, step):
    """The store itself, end to end: killed at each step, the next command opens one whole store and
    removes the killed run's folder beside it."""
    old, new = two_sets
    store = tmp_path / "store"
    save_store(old, store, 1)
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from matcher import paths
        from matcher.index.build import build_index
        from matcher.index.store import save_index
        from matcher.profiles.load import load_folder
        paths.checkpoint_hook = lambda step: step == {step!r} and os.kill(os.getpid(), signal.SIGKILL)
        index = build_index(load_folder(Path(sys.argv[1])).profiles)
        save_index(index, Path(sys.argv[2]), store={{"source": "test", "version": 2}})
        """
    )
    run = subprocess.run([sys.executable, "-c", code, str(new), str(store)], capture_output=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr
    catalog = open_catalog(store)
    assert catalog.index.n_orgs == (6 if step == "swapped" else 5)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".store")] == []


def test_a_store_open_while_it_is_replaced_keeps_reading_the_old_one(two_sets, tmp_path):
    old, new = two_sets
    store = tmp_path / "store"
    save_store(old, store, 1)
    index, _ = load_index(store)
    save_store(new, store, 2)
    assert [p.name for p in index.profiles] == ["Alpha", "Beta", "Delta", "Epsilon", "Gamma"]
    assert list(index.tag_names) == []
    assert load_index(store)[0].n_orgs == 6


def test_a_store_replaced_while_it_is_opened_is_opened_again(two_sets, tmp_path, monkeypatch):
    """Opening reads meta.json, then the arrays: a swap in between would mix two stores."""
    from matcher.index import store as module

    old, new = two_sets
    store = tmp_path / "store"
    save_store(old, store, 1)
    real, calls = module._open_index, []

    def swapped_meanwhile(folder):
        calls.append(folder)
        opened = real(folder)
        if len(calls) == 1:
            save_store(new, store, 2)
        return opened

    monkeypatch.setattr(module, "_open_index", swapped_meanwhile)
    index, _ = load_index(store)
    assert len(calls) == 2 and index.n_orgs == 6


@posix_only
def test_stores_and_outputs_get_the_umasks_permissions(tiny, tmp_path):
    """Store folders were always 0700 (mkdtemp's)."""
    previous = os.umask(0o002)
    try:
        save_store(tiny, tmp_path / "store", 1)
        paths.write_text_atomic(tmp_path / "out.csv", "x")
    finally:
        os.umask(previous)
    assert (tmp_path / "store").stat().st_mode & 0o777 == 0o775
    assert {p.stat().st_mode & 0o777 for p in (tmp_path / "store").iterdir()} == {0o664}
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o664
    assert paths.umask() == previous
