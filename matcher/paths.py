"""Where profiles and seed articles are found (an option, the environment, ./profiles, or the bundled set);
reading a file a user gave within a bound; and writing a file whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import UnreadableFile

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


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    """What a file of ``mode`` is where it is not a regular file (a folder, a pipe, a device...)."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _unreadable(path: Path, exc: OSError) -> UnreadableFile:
    """The reason ``path`` could not be opened, in words, with what to do."""
    if exc.errno == errno.ELOOP:
        return UnreadableFile(path, "is a loop of symbolic links", "remove the link, or point it at a real file")
    if exc.errno == errno.ENOENT and os.path.islink(path):
        target = os.readlink(path)
        return UnreadableFile(
            path, f"is a symbolic link to {target}, which does not exist", "remove the link, or restore its file"
        )
    if exc.errno == errno.ENOENT:
        return UnreadableFile(path, "does not exist", "check the path")
    return UnreadableFile(path, f"cannot be read ({exc.strerror or exc})", "check the file and its permissions")


def read_limited(path: str | os.PathLike, limit: int, *, what: str = "file") -> bytes:
    """The bytes of the regular file ``path`` (a link to one included), at most ``limit`` of them: a device
    (``/dev/zero``), a named pipe, a socket or a folder is refused without being read (a pipe would wait
    forever for a writer), and so is a file bigger than ``limit`` (checked before reading, and again while
    reading, in case it grows). Raises ``UnreadableFile`` saying what the file is and what to do."""
    path = Path(path)
    try:
        kind = _not_regular(os.stat(path).st_mode)  # devices are not even opened (opening a tape rewinds it)
        if kind is None:
            flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
            fd = os.open(path, flags)  # non-blocking: a pipe put there since the check cannot hang the open
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if kind is not None:
        raise UnreadableFile(path, f"is {kind}, not a {what}", "give the path of a regular file", reason="kind")
    with os.fdopen(fd, "rb", buffering=0) as f:
        st = os.fstat(f.fileno())
        kind = _not_regular(st.st_mode)
        if kind is not None:  # swapped for something else between the two looks
            raise UnreadableFile(path, f"is {kind}, not a {what}", "give the path of a regular file", reason="kind")
        if st.st_size > limit:
            raise _too_big(path, f"{st.st_size:,} bytes", limit, what)
        data = bytearray()
        while chunk := f.read(min(1 << 20, limit + 1 - len(data))):
            data += chunk
            if len(data) > limit:
                raise _too_big(path, "growing", limit, what)
    return bytes(data)


def _too_big(path: Path, size: str, limit: int, what: str) -> UnreadableFile:
    return UnreadableFile(
        path,
        f"file is {size}, more than the {limit:,} bytes a {what} may have",
        "check that this is the right file",
        reason="size",
    )
