"""Where profiles and seed articles are found (an option, the environment, ./profiles, or the bundled set);
reading a file a user gave within a bound; and writing a file whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
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


def umask() -> int:
    """This process's umask, read without changing it where the system tells (Linux): setting it to read it
    back, as ``os.umask`` must, would give a file another thread creates meanwhile the wrong permissions."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def public_mode() -> int:
    """The permissions a new file gets under this process's umask (``mkstemp`` would leave it 0600)."""
    return 0o666 & ~umask()


def public_dir_mode() -> int:
    """The permissions a new folder gets under this process's umask (``mkdtemp`` would leave it 0700)."""
    return 0o777 & ~umask()


checkpoint_hook: Callable[[str], None] | None = None
"""Called with the name of each step of a replacement (``replacing``, ``writing_folder``) as it is reached:
``tests/test_reliability_store.py`` and ``benchmarks/chaos.py`` kill a process there. None in use."""


def _checkpoint(step: str) -> None:
    if checkpoint_hook is not None:
        checkpoint_hook(step)


@contextlib.contextmanager
def replacing(path: Path, *, durable: bool = True) -> Iterator[Path]:
    """A temporary file beside ``path`` (its name is given to the block) that replaces ``path`` when the
    block ends without an error, with the umask's permissions; an error or Ctrl-C leaves the old file, and
    no temporary one. A kill leaves one, locked until the process is gone, which the next run that writes
    ``path`` removes (``tidy``). ``durable``: on disk (fsync) before it takes the old one's place."""
    path = Path(path)
    tidy(path)
    tmp, lock = _locked_temp(path, folder=False)
    try:
        yield tmp
        os.chmod(tmp, public_mode())
        if durable:
            _sync(tmp)
        _checkpoint("written")
        os.replace(tmp, path)
        _checkpoint("replaced")
        if durable:
            _sync(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _unlock(lock)


def write_text_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    """Write ``text`` to ``path`` whole or not at all (``replacing``)."""
    with replacing(path, durable=durable) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
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


def check_regular(path: str | os.PathLike, *, what: str = "file") -> None:
    """Raise ``UnreadableFile`` unless ``path`` is a regular file (or a link to one): for files too big to
    read whole at once (a CORDIS table), where a device or a pipe would be read forever or wait forever."""
    path = Path(path)
    try:
        kind = _not_regular(os.stat(path).st_mode)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if kind is not None:
        raise UnreadableFile(path, f"is {kind}, not a {what}", "give the path of a regular file", reason="kind")


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


# Writing a folder whole, and tidying up after a killed run
#
# A run that is killed (SIGKILL, the kernel out of memory, a power cut) cannot clean up after itself: what it
# was writing stays beside the target under a hidden temporary name. Each temporary file or folder is locked
# (flock) by the process writing it for as long as it lives, and the next run that writes the same target
# removes every one that is no longer locked: a dead run's leftovers go, a live run's stay. Where flock is
# missing (Windows) only leftovers older than STALE_SECONDS are removed.

STALE_SECONDS = 24 * 3600
"""Age from which a leftover is removed where it cannot be told whether its writer is alive (no flock)."""
_TEMP_CHARS = r"[a-z0-9_]{8}"  # tempfile's names: eight of these


def _patterns(target: Path) -> dict[str, re.Pattern]:
    """The temporary names ``replacing`` and ``writing_folder`` give things beside ``target``: nothing else
    matches (a user's ``.report.html.notes.tmp`` does not), so tidying never removes a user's file."""
    name = re.escape(target.name)
    return {
        "aside": re.compile(rf"\.{name}\.old-{_TEMP_CHARS}"),  # an old folder moved aside (no RENAME_EXCHANGE)
        "folder": re.compile(rf"\.{name}\.tmp-{_TEMP_CHARS}"),  # a folder being written
        "file": re.compile(rf"\.{name}\.{_TEMP_CHARS}\.tmp"),  # a file being written
    }


def _lock(path: Path, *, wait: bool = False) -> int | None:
    """An open descriptor of ``path`` (a file or a folder, not followed if a link) holding its exclusive
    flock, or None where another process holds it (or it is gone). Where flock is missing, -1."""
    try:
        import fcntl
    except ImportError:
        return -1
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        os.close(fd)
        return None
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None and fd >= 0:
        os.close(fd)  # closing the last descriptor releases the flock


def _locked_temp(target: Path, *, folder: bool) -> tuple[Path, int | None]:
    """A new temporary file or folder beside ``target``, and the lock its writer holds on it. A run tidying
    up may lock a fresh one before its writer does (and remove it): then another is made."""
    for _ in range(100):
        if folder:
            tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.tmp-"))
        else:
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            tmp = Path(name)
        lock = _lock(tmp)
        if lock is not None and (lock < 0 or _same(lock, tmp)):
            return tmp, lock
        _unlock(lock)
    raise OSError(f"cannot lock a temporary file beside {target}")


def _same(fd: int, path: Path) -> bool:
    """True where ``path`` still names what ``fd`` is open on (not removed, nor replaced)."""
    try:
        a, b = os.fstat(fd), os.lstat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _remove(path: Path) -> None:
    """Remove a file or a folder (a link itself, never what it points at); what cannot be removed stays."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def tidy(target: Path) -> int:
    """Remove what killed runs left beside ``target`` (temporary files and folders no live process holds),
    and put back an old folder a killed replacement had moved aside where ``target`` itself is missing.
    Best effort: a folder that cannot be listed or written is left as it is. Returns how many it removed."""
    target = Path(target)
    try:
        names = sorted(os.listdir(target.parent or "."))
    except OSError:
        return 0
    removed = 0
    patterns = _patterns(target)
    for kind in ("aside", "folder", "file"):  # an old folder first: it may be the target's only whole copy
        for name in names:
            path = target.parent / name
            if not patterns[kind].fullmatch(name) or path.is_symlink():
                continue
            lock = _lock(path)
            if lock is None or (lock < 0 and not _stale(path)):
                _unlock(lock)
                continue  # its writer is alive
            try:
                if kind == "aside" and not os.path.lexists(target):
                    os.rename(path, target)  # killed between moving the old one aside and the new one in
                else:
                    _remove(path)
                    removed += 1
            except OSError:
                pass
            finally:
                _unlock(lock)
    return removed


def _stale(path: Path) -> bool:
    try:
        return time.time() - path.lstat().st_mtime > STALE_SECONDS
    except OSError:
        return False


def _sync(path: Path) -> None:
    """Write a file, or a folder's entry list, through to the disk (where the system can)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # a folder cannot be synced on some systems
        pass
    finally:
        os.close(fd)


def _sync_tree(folder: Path) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            _sync(Path(root) / name)
        _sync(Path(root))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the system or its file
    system cannot, and the caller must do it in two."""
    if sys.platform != "linux":
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library older than glibc 2.28, or not glibc
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):  # not on this file system
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextlib.contextmanager
def writing_folder(folder: Path, *, durable: bool = True) -> Iterator[Path]:
    """A temporary folder beside ``folder`` to write in (its path is given to the block), that takes
    ``folder``'s place when the block ends without an error, with the umask's permissions.

    The old folder stays whole and readable until the new one is complete, and a kill at any moment leaves
    one of the two whole at ``folder``: the new one is swapped in with one atomic rename where ``folder`` is
    new, else with ``renameat2(RENAME_EXCHANGE)`` (Linux 3.15+ on ext4, XFS, Btrfs, tmpfs...); elsewhere the
    old one is first renamed aside, and put back by the next run that finds ``folder`` missing (``tidy``). A
    run killed before the swap leaves its temporary folder, which the next run removes. ``durable``: every
    file on disk (fsync) before the swap (a cache that can be rebuilt need not wait for the disk).
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tidy(folder)
    tmp, lock = _locked_temp(folder, folder=True)
    try:
        os.chmod(tmp, public_dir_mode())
        yield tmp
        _checkpoint("written")
        if durable:
            _sync_tree(tmp)
        _checkpoint("synced")
        _swap_in(tmp, folder)  # tmp now holds the old folder, if there was one
        _checkpoint("swapped")
        if durable:
            _sync(folder.parent)
    finally:
        _remove(tmp)
        _unlock(lock)


def _swap_in(tmp: Path, folder: Path) -> None:
    """Put the folder ``tmp`` at ``folder``, and the old ``folder`` (if any) at ``tmp``."""
    try:
        os.rename(tmp, folder)  # atomic where folder does not exist (or is an empty folder)
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):  # folder is there (or is a link)
            raise
    if _exchange(tmp, folder):
        return
    aside = folder.parent / f".{folder.name}.old-{secrets.token_hex(4)}"
    lock = _lock(folder, wait=True)  # held while it is aside: a run tidying up must not put it back meanwhile
    try:
        os.rename(folder, aside)
        _checkpoint("aside")
        os.rename(tmp, folder)
        os.rename(aside, tmp)  # where the caller removes the old one
    except BaseException:
        if not os.path.lexists(folder) and os.path.isdir(aside):
            os.rename(aside, folder)
        raise
    finally:
        _unlock(lock)
