"""Create a new profile file: validated before it is written, written atomically, never over another."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import MatcherError
from ..paths import bundled, public_mode
from .load import load_folder, parse_profile, profile_files
from .model import PROFILE_KEYS
from .slugs import unique_slug


class ProfileExists(MatcherError):
    """The file or the organisation name already exists."""


def render_profile(fields: dict) -> str:
    """YAML text for a profile, keys in the documented order, empty fields left out."""
    import yaml  # only where a profile is written: a query on a cached index reads no YAML

    data = {k: fields[k] for k in PROFILE_KEYS if fields.get(k) not in (None, "", [], ())}
    for k, v in data.items():
        if isinstance(v, tuple):
            data[k] = list(v)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def name_holder(name: str, folders) -> str | None:
    """Where ``name`` is already a name or alias in any of ``folders`` (profile folders that exist): a
    sentence naming the profile and file, or None."""
    for folder in folders:
        if not Path(folder).is_dir():
            continue
        for p in load_folder(folder).profiles:
            if name.strip().casefold() in (n.casefold() for n in p.names):
                return f"{name!r} is already the name or an alias of {p.name!r} in {p.path}."
    return None


def start_folder(folder: Path, bundled: Path) -> int:
    """Create ``folder`` holding a copy of the bundled profiles, so that a new profile written there joins
    them instead of hiding them (./profiles, once it exists, is read instead of the bundled set). Returns
    how many profiles were copied."""
    folder.mkdir(parents=True)
    files = profile_files(bundled)
    for path in files:
        shutil.copyfile(path, folder / path.name)
        os.chmod(folder / path.name, public_mode())
    return len(files)


def create_profile(folder: Path, fields: dict) -> Path:
    """Validate ``fields`` as a profile and write it to ``folder/<slug>.yaml`` (``<slug>-2.yaml`` where another
    file has that name); return the path."""
    folder = Path(folder)
    target = folder / f"{unique_slug(fields.get('name') or '', folder)}.yaml"
    text = render_profile(fields)
    profile = parse_profile(text, target)  # raises ProfileError naming every problem
    if folder.is_dir():
        taken = {n.casefold(): p for p in load_folder(folder).profiles for n in p.names}
        for name in profile.names:
            other = taken.get(name.casefold())
            if other is not None:
                raise ProfileExists(
                    f"{name!r} is already the name or an alias of {other.name!r} in {other.path}. "
                    f"Edit that file instead (matcher show {other.name!r}), or choose another name."
                )
    if target.exists():
        raise ProfileExists(f"{target} already exists. Choose another name, or edit that file.")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".new-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, public_mode())  # mkstemp's 0600 would hide the profile from colleagues
        try:
            os.link(tmp, target)  # fails if target appeared meanwhile: never overwrites
        except FileExistsError:
            raise ProfileExists(f"{target} already exists. Choose another name, or edit that file.") from None
        except OSError:  # file systems without hard links
            if target.exists():
                raise ProfileExists(f"{target} already exists.") from None
            os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def new_profile(folder: Path, fields: dict, in_use: Path) -> tuple[Path, int]:
    """Write a new profile of ``fields`` to ``folder`` (``create_profile``): where no such folder exists yet
    and the bundled profiles are the ones ``in_use``, the folder is first made with a copy of them, so that
    they stay in use beside the new one (once the profile is known to be valid). Returns the new file and
    how many profiles were copied."""
    folder = Path(folder)
    copied = 0
    if not folder.exists() and in_use == bundled("profiles"):
        parse_profile(render_profile(fields), folder / "new.yaml")  # valid before the folder is made
        copied = start_folder(folder, in_use)
    return create_profile(folder, fields), copied
