"""Nothing a user feeds matcher brings it down (issue #33): every file a user gives is read within a bound, and
only if it is a regular file; YAML aliases cannot expand a page into gigabytes; a broken link or a loop of links
is a file that does not load, not a traceback; and two files claiming one name stop the command.

The cases that once took 21-24 GB before the kernel killed the process run here in a subprocess under a 2 GB
address-space limit (``resource.RLIMIT_AS``), with a timeout: a regression fails the test, not the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.errors import ProfileError, UnreadableFile
from matcher.paths import read_limited
from matcher.profiles.load import MAX_EXPANDED, parse_profile

LIMIT = 2 << 30
"""The address space the subprocesses may use (2 GB)."""
posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX files")


def limited_run(*args: str, cwd: Path, timeout: float = 90) -> subprocess.CompletedProcess:
    """``matcher ARGS`` in a fresh interpreter whose address space is capped at LIMIT."""

    def cap() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    return subprocess.run(
        [sys.executable, "-m", "matcher", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap,
    )


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def alias_bomb(levels: int = 8) -> str:
    """A profile whose needs, followed through aliases of aliases, are 10**levels statements (a "billion laughs")."""
    lines = ["name: Bomb", "country: CN", "kind: company", "capabilities: [drones]"]
    lines.append("x0: &a0 [" + ", ".join(['"laser scanning of pipelines"'] * 10) + "]")
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    lines.append(f"needs: *a{levels}")
    return "\n".join(lines) + "\n"


def flat_bomb() -> str:
    """233 KB of one long need repeated through an alias 29,000 times: valid, and 28 MB once expanded."""
    lines = ["name: Flat", "country: CN", "kind: company", "capabilities: [drones]", "needs:"]
    lines.append('  - &s "' + "airborne laser scanning " * 40 + '"')
    lines += ["  - *s"] * 29_000
    return "\n".join(lines) + "\n"


@pytest.fixture
def hostile(tiny: Path) -> Path:
    """The tiny profiles, and beside them everything that once hung, killed or crashed a command."""
    (tiny / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tiny / "pipe.yaml")
    (tiny / "loop.yaml").symlink_to("loop.yaml")
    (tiny / "dangling.yaml").symlink_to(tiny / "nowhere.yaml")
    (tiny / "folder.yaml").mkdir()
    (tiny / "bomb.yaml").write_text(alias_bomb())
    (tiny / "flat.yaml").write_text(flat_bomb())
    return tiny


EXPECTED = {
    "zero.yaml": "zero.yaml: is a device, not a profile — remove it from the profiles folder",
    "pipe.yaml": "pipe.yaml: is a named pipe (FIFO), not a profile — remove it from the profiles folder",
    "loop.yaml": "loop.yaml: is a loop of symbolic links — remove the link, or point it at a real file",
    "dangling.yaml": "dangling.yaml: is a symbolic link to {tiny}/nowhere.yaml, which does not exist — remove",
    "folder.yaml": "folder.yaml: is a folder, not a profile — remove it from the profiles folder",
    "bomb.yaml": "bomb.yaml: YAML: its aliases (*name) repeat it to more than 1,048,576 characters — write the text",
    "flat.yaml": "flat.yaml: YAML: its aliases (*name) repeat it to more than 1,048,576 characters",
}


@posix_only
@pytest.mark.parametrize(
    "args, code",
    [
        (["match", "--org", "Alpha"], 0),  # skipped with a warning each, the rest ranked (as any bad file)
        (["match", "--org", "Alpha", "--strict"], 1),
        (["list"], 0),
        (["validate"], 1),
    ],
    ids=["match", "match-strict", "list", "validate"],
)
def test_hostile_files_in_the_profiles_folder(hostile, tmp_path, args, code):
    """Each file gets its one line naming it and the fix, within 2 GB, and nothing hangs on the pipe."""
    result = limited_run(*args, "--profiles", str(hostile), cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output and "MemoryError" not in output
    for name, line in EXPECTED.items():
        assert line.format(tiny=hostile) in output, name
        assert sum(name in x for x in output.splitlines()) == 1, name  # one line each
    if args[0] == "match" and code == 0:
        assert "1. Beta" in result.stdout


@posix_only
def test_need_file_from_a_device_is_refused_within_2_gb(tiny, tmp_path):
    result = limited_run("match", "--need-file", "/dev/zero", "--profiles", str(tiny), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for --need-file: /dev/zero: is a device, not a need file — give the path of a regular"
        " file."
    )


@posix_only
@pytest.mark.parametrize("kind", ["pipe", "big", "dangling", "folder"])
def test_need_file_is_a_regular_file_of_at_most_1_mb(tiny, tmp_path, kind):
    path = tmp_path / "need.txt"
    if kind == "pipe":
        os.mkfifo(path)
        expected = "is a named pipe (FIFO), not a need file"
    elif kind == "big":
        path.write_text("laser scanning " * 100_000)
        expected = "file is 1,500,000 bytes, more than the 1,048,576 bytes a need file may have"
    elif kind == "dangling":
        path.symlink_to(tmp_path / "gone.txt")
        expected = f"is a symbolic link to {tmp_path / 'gone.txt'}, which does not exist"
    else:
        path.mkdir()
    result = invoke("match", "--need-file", str(path), "--profiles", str(tiny))
    assert result.exit_code == 2
    if kind == "folder":  # click's own check
        assert f"Error: Invalid value for '--need-file': File '{path}' is a directory." in result.output
    else:
        assert f"Error: Invalid value for --need-file: {path}: {expected}" in result.output


def test_read_limited_reads_up_to_its_limit(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"x" * 100)
    assert read_limited(path, 100) == b"x" * 100
    with pytest.raises(UnreadableFile, match="file is 100 bytes, more than the 99 bytes a file may have"):
        read_limited(path, 99)


def test_aliases_may_repeat_a_little_but_not_expand_a_page_into_gigabytes():
    small = "name: A\ncountry: CN\nkind: company\ncapabilities: [&d drones]\nneeds: [*d, *d]\n"
    assert parse_profile(small).needs == ("drones", "drones")
    with pytest.raises(ProfileError, match=f"repeat it to more than {MAX_EXPANDED:,} characters"):
        parse_profile(alias_bomb())
    with pytest.raises(ProfileError, match="an alias refers to the list or mapping that holds it"):
        parse_profile("name: A\ncountry: CN\nkind: company\nneeds: &n [x, *n]\n")


@posix_only
def test_a_flat_alias_bomb_fails_validate_and_match_within_2_gb(tmp_path, write_profile):
    """233 KB that once passed validate (3.2 GB) and ended match in a MemoryError."""
    folder = tmp_path / "profiles"
    write_profile(folder, "beta", name="Beta", country="RU", kind="company", capabilities=["laser scanning"])
    (folder / "flat.yaml").write_text(flat_bomb())
    result = limited_run("validate", str(folder / "flat.yaml"), cwd=tmp_path)
    assert result.returncode == 1 and EXPECTED["flat.yaml"] in result.stdout
    result = limited_run("match", "--org", "Flat", "--profiles", str(folder), cwd=tmp_path)
    assert result.returncode == 2 and "No organisation named 'Flat'" in result.stderr
    assert EXPECTED["flat.yaml"] in result.stderr and "MemoryError" not in result.stderr


@posix_only
def test_seed_articles_and_partnerships_are_read_within_a_bound(tiny, tmp_path, write_profile):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "zero.txt").symlink_to("/dev/zero")
    write_profile(
        tiny, "zeta", name="Zeta", country="CN", kind="company", needs=["x"],
        sources=[{"article": "zero.txt", "quote": "anything"}],
    )  # fmt: skip
    result = invoke("validate", str(tiny / "zeta.yaml"))
    assert result.exit_code == 1
    assert (
        "zeta.yaml:7: sources[0].article: article zero.txt is a device, not a seed article — give the path of a"
        " regular file"
    ) in result.output
    result = invoke("evaluate", "--partnerships", str(seeds / "zero.txt"), "--profiles", str(tiny))
    assert result.exit_code == 1
    assert result.output.strip().endswith(
        "zero.txt: is a device, not a partnerships file — give the path of a regular file."
    )


def test_two_files_claiming_one_name_stop_every_command_until_one_is_chosen(tiny, write_profile):
    """A second 'Beta', sorted first, once took the real one's place with only a warning (exit 0)."""
    impostor = write_profile(tiny, "a-beta", name="Beta", country="RU", kind="company", capabilities=["fish farming"])
    expected = (
        f"Error: {tiny / 'beta.yaml'}:1: name: 'Beta' is already used by 'Beta' in {impostor}:1 — names and aliases"
        " must be unique (ignoring case): keep one file (rename the other to end in .off and it is no longer read),"
        " give each its own name, or merge the two"
    )
    last = "Error: 1 name claimed by two profile files; matcher will not guess which file is meant: choose one as"
    for args in (["match", "--org", "Alpha"], ["list"], ["match", "--org", "Beta"], ["show", "Beta"]):
        result = invoke(*args, "--profiles", str(tiny))
        assert result.exit_code == 1, args
        assert result.stderr.splitlines() == [expected, f"{last} each line above says."], args
    result = invoke("validate", str(tiny))
    assert result.exit_code == 1 and expected.removeprefix("Error: ") in result.output
    impostor.rename(impostor.with_name("a-beta.yaml.off"))  # the user chooses: the real Beta wins
    result = invoke("match", "--org", "Alpha", "--profiles", str(tiny))
    assert result.exit_code == 0 and "1. Beta" in result.output


def test_cordis_names_lose_invisible_direction_controls(grants, tmp_path):
    """A profile file with one is refused (profiles.schema); a store's million names are cleaned instead."""
    from matcher.sources import cordis

    orgs = grants / "organisations.csv"
    orgs.write_text(
        orgs.read_text(encoding="utf-8").replace("Beta Institute", "Beta \u202eetutitsnI"), encoding="utf-8"
    )
    index = cordis.import_cordis(grants, "2023-01-01", tmp_path / "store")
    assert "Beta etutitsnI" in [p.name for p in index.profiles]


@posix_only
def test_a_cordis_table_that_is_a_device_is_refused(grants, tmp_path):
    (grants / "projects.csv").unlink()
    (grants / "projects.csv").symlink_to("/dev/zero")
    result = limited_run("import-cordis", str(grants), "--before", "2023-01-01", "-o", "store", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {grants / 'projects.csv'}: is a device, not a CORDIS table — give the path of a regular file.\n"
    )
