"""Where profiles and seed articles are found: an option, the environment, ./profiles, or the bundled set."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

ENV_PROFILES = "MATCHER_PROFILES"
BUNDLED = "bundled profiles"
"""``profiles_location``'s reason when the profiles bundled with matcher are in use."""


def bundled(name: str) -> Path:
    """A folder shipped with matcher (``profiles`` or ``seeds``), installed or in a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_data" / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    return package / "_data" / name


def profiles_location(option: str | os.PathLike | None = None) -> tuple[Path, str]:
    """The profiles folder or store to use, and why: ``--profiles``, $MATCHER_PROFILES, ./profiles, bundled."""
    if option:
        return Path(option), "--profiles"
    env = os.environ.get(ENV_PROFILES)
    if env:
        return Path(env), f"${ENV_PROFILES}"
    local = Path("profiles")
    if local.is_dir():
        return local, "./profiles"
    return bundled("profiles"), BUNDLED


def new_profiles_folder(option: str | os.PathLike | None = None) -> Path:
    """Where ``matcher new`` writes: ``--profiles``, $MATCHER_PROFILES, else ./profiles (never the bundled set)."""
    return Path(option) if option else Path(os.environ.get(ENV_PROFILES) or "profiles")


def seeds_for(profiles_dir: Path) -> Path:
    """The seed articles that a profiles folder's sources cite: a ``seeds`` folder beside it, else the bundled."""
    beside = profiles_dir.resolve().parent / "seeds"
    return beside if beside.is_dir() else bundled("seeds")


def public_mode() -> int:
    """The permissions a new file gets under this process's umask (``mkstemp`` would leave it 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` (its name is given to the block) that replaces ``path`` when the
    block ends without an error, with the umask's permissions; an error or Ctrl-C leaves the old file, and
    no temporary one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, public_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (``replacing``)."""
    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
