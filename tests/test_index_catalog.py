"""The cached index of a profiles folder: reused while no file changes, rebuilt when one does."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from matcher.cli.matching import match_command
from matcher.index.catalog import open_catalog
from matcher.workspace import open_workspace


def ranked(folder):
    out = CliRunner().invoke(match_command, ["--org", "Alpha", "--profiles", str(folder), "--format", "json"])
    assert out.exit_code == 0, out.output
    return [(m["name"], m["score"]) for m in json.loads(out.output)["matches"]]


def test_cache_is_reused_then_invalidated(write_profile, tiny):
    first = open_catalog(tiny)
    assert not first.cached
    again = open_catalog(tiny)
    assert again.cached
    assert [p.name for p in again.index.profiles] == [p.name for p in first.index.profiles]
    assert list(again.index.names) == [p.name for p in first.index.profiles]  # stored beside the records
    assert ranked(tiny) == [("Beta", 1.0), ("Epsilon", 1.0), ("Gamma", 0.25)]

    # add
    write_profile(
        tiny,
        "zeta",
        name="Zeta",
        country="CN",
        kind="company",
        capabilities=["laser scanning"],
        needs=["drone platforms"],
    )
    assert ("Zeta", 1.0) in ranked(tiny)
    # edit: Beta stops offering laser scanning
    write_profile(
        tiny,
        "beta",
        name="Beta",
        country="RU",
        kind="research-institute",
        capabilities=["fish farming"],
        needs=["drone platforms"],
    )
    assert "Beta" not in [n for n, s in ranked(tiny) if s > 0.5]
    # delete
    (tiny / "zeta.yaml").unlink()
    assert "Zeta" not in [n for n, _ in ranked(tiny)]
    assert "Zeta" not in open_workspace(tiny).matcher.index.names
    # a broken file still warns from the cache
    (tiny / "bad.yaml").write_text("name: [\n")
    for _ in range(2):
        out = CliRunner().invoke(match_command, ["--org", "Alpha", "--profiles", str(tiny)])
        assert "bad.yaml:2: YAML syntax error" in out.stderr


def test_cached_results_equal_fresh(tmp_path):
    from matcher.paths import bundled

    fresh = open_workspace(bundled("profiles"), cache=False).matcher.match("Ehang", top=25)
    open_catalog(bundled("profiles"))
    cached_workspace = open_workspace(bundled("profiles"))
    assert cached_workspace.catalog.cached
    cached = cached_workspace.matcher.match("Ehang", top=25)
    assert cached == fresh


def test_cached_query_imports_no_sklearn_or_scipy(tiny):
    """``match`` on a cached index imports none of the heavy libraries, nor the YAML parser, nor numba
    (a single query costs less than numba's import)."""
    open_catalog(tiny)
    code = (
        "import sys; from matcher.cli import cli; "
        f"cli(['match', '--org', 'Alpha', '--profiles', {str(tiny)!r}], standalone_mode=False); "
        "print(sorted(m for m in ('sklearn', 'scipy', 'pandas', 'pydantic', 'yaml', 'numba') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
