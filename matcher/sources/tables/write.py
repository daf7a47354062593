"""Import a table: check every row, plan one profile file a row, and write them all or none."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import TableError
from ...paths import public_mode
from ...profiles.load import MAX_FILE_BYTES, load_folder, parse_profile
from ...profiles.model import PROFILE_KEYS, Profile
from ...profiles.scaffold import render_profile
from ...profiles.slugs import unique_slug
from .columns import RowProblem, Table
from .read import read_table
from .rows import Row, check_rows, partner_warnings

Progress = Callable[[int], Callable[[int], None]]
"""``progress(total)`` is called once and returns a callback given the number of steps done since its last call."""


@dataclass
class Planned:
    """One profile file an import writes."""

    row: int
    name: str
    path: Path
    text: str
    action: str  # "create", "update", or "unchanged" (an update to what the file already holds: not written)
    backup: Path | None = None  # where the old file was kept (updates, once written)


@dataclass
class ImportResult:
    """What an import wrote (or, in a dry run, would write), the rows it left out and why, and its warnings."""

    table: Path
    folder: Path
    written: list[Planned]
    unchanged: list[Planned] = field(default_factory=list)  # rows whose profile the folder holds as it is
    invalid: list[RowProblem] = field(default_factory=list)  # problems of the rows left out (skip_invalid)
    warnings: list[RowProblem] = field(default_factory=list)
    blank_rows: int = 0
    dry_run: bool = False

    @property
    def invalid_rows(self) -> list[int]:
        return sorted({p.row for p in self.invalid if p.row})

    @property
    def created(self) -> list[Planned]:
        return [p for p in self.written if p.action == "create"]

    @property
    def updated(self) -> list[Planned]:
        return [p for p in self.written if p.action == "update"]

    def summary(self) -> str:
        """One line: how many profiles were written where, and how many rows were left out."""
        n = len(self.written)
        verb = "Would write" if self.dry_run else "Wrote"
        text = f"{verb} {n} profile{'' if n == 1 else 's'} to {self.folder}"
        parts = [f"{len(self.created)} new"] if self.created else []
        if self.updated:
            parts.append(f"{len(self.updated)} updated" + ("" if self.dry_run else ", each old file kept as FILE.bak"))
        text += f" ({'; '.join(parts)})" if parts else ""
        if self.unchanged:
            text += f"; {len(self.unchanged)} unchanged"
        if self.invalid_rows:
            k = len(self.invalid_rows)
            text += f"; left out {k} invalid row{'' if k == 1 else 's'}: " + ", ".join(map(str, self.invalid_rows))
        if self.blank_rows:
            text += f"; {self.blank_rows} blank row{'' if self.blank_rows == 1 else 's'} skipped"
        return text + "."


class Steps:
    """Steps done out of ``total``, told to a ``progress`` callback (never past the total)."""

    def __init__(self, progress: Progress | None, total: int):
        self.total, self.done = total, 0
        self.report = progress(total) if progress else None

    def __call__(self, n: int) -> None:
        n = min(n, self.total - self.done)
        self.done += n
        if self.report is not None and n > 0:
            self.report(n)


def import_table(
    path: Path | str,
    folder: Path | str,
    *,
    mapping: dict[str, str | None] | None = None,
    sheet: str | None = None,
    update: bool = False,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Write one profile file to ``folder`` for each row of the table at ``path``.

    Every row is checked as ``matcher validate`` checks a file, and against the other rows and the profiles
    already in ``folder``. With any problem nothing is written and TableError lists them all, unless
    ``skip_invalid``: then the valid rows are written and the others listed in the result. A row whose name
    or alias is already in ``folder`` is refused unless ``update``: then that file is rewritten (the table's
    columns replace its fields; fields the table has no column for, and its sources, are kept) and the old
    one kept beside it as ``FILE.bak``; a row that changes nothing leaves its file as it is. ``dry_run``
    checks and plans without writing. ``progress(total)`` is told of the rows checked and the files written.
    """
    path, folder = Path(path), Path(folder)
    table = read_table(path, mapping, sheet)
    steps = Steps(progress, 2 * len(table.rows))
    existing, warnings = _existing(folder)
    checked = check_rows(table, folder, existing, update=update, tick=steps)
    warnings += partner_warnings(table, folder, existing, checked)
    errors = checked.errors
    if errors and not skip_invalid:
        raise TableError(errors + warnings, rows=True)
    if not checked.rows:
        hint = "fix the rows listed above"
        raise TableError(
            [*errors, RowProblem(path, None, None, "no row is a valid profile, so nothing was written", hint)]
        )
    plans, too_big = plan_files(table, folder, checked.rows)
    errors += too_big
    if errors and not skip_invalid:
        raise TableError(errors + warnings, rows=True)
    changed = [p for p in plans if p.action != "unchanged"]
    unchanged = [p for p in plans if p.action == "unchanged"]
    invalid = errors if skip_invalid else []
    result = ImportResult(path, folder, changed, unchanged, invalid, warnings, table.blank_rows, dry_run)
    if not dry_run:
        write_all(changed, folder, path, steps)
    steps(steps.total)  # the rows left out count as done
    return result


def _existing(folder: Path) -> tuple[list[Profile], list[RowProblem]]:
    """The profiles already in ``folder``, and a warning where some of its files could not be loaded."""
    if not folder.is_dir():
        return [], []
    loaded = load_folder(folder)
    if not loaded.errors:
        return loaded.profiles, []
    k = len({p.path for p in loaded.errors})
    message = f"{k} profile file(s) in {folder} could not be loaded, so their names were not checked against the table"
    return loaded.profiles, [RowProblem(folder, None, None, message, f"run matcher validate {folder}", "warning")]


def plan_files(table: Table, folder: Path, rows: list[Row]) -> tuple[list[Planned], list[RowProblem]]:
    """The file each valid row becomes (a new one named from its name, or the one it updates), and a problem
    for each row whose profile would be bigger than a profile may be."""
    plans: list[Planned] = []
    problems: list[RowProblem] = []
    slugs: set[str] = set()
    for row in rows:
        if row.old is not None:
            kept = {k: getattr(row.old, k) for k in PROFILE_KEYS if k not in table.present and k != "sources"}
            sources = [{k: v for k, v in vars(s).items() if v is not None} for s in row.old.sources]
            text = render_profile({**kept, **row.fields, "sources": sources})
            target = Path(row.old.path)
            action = "unchanged" if parse_profile(text, target) == row.old else "update"
        else:
            text = render_profile(row.fields)
            slug = unique_slug(row.profile.name, folder, slugs)
            slugs.add(slug)
            target, action = folder / f"{slug}.yaml", "create"
        size = len(text.encode("utf-8"))
        if size > MAX_FILE_BYTES:
            message = f"makes a profile of {size:,} bytes, more than the {MAX_FILE_BYTES:,} one may have"
            problems.append(RowProblem(table.path, row.number, None, message, "shorten its statements or summary"))
            continue
        plans.append(Planned(row.number, row.profile.name, target, text, action))
    return plans, problems


def _backup_path(path: Path) -> Path:
    candidate, n = path.with_name(path.name + ".bak"), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.bak{n}")
    return candidate


def write_all(plans: list[Planned], folder: Path, table: Path, tick: Callable[[int], None]) -> None:
    """Write every planned file: first all of them beside their targets (a full disk or Ctrl-C then leaves
    nothing behind), then each into place, a new file never over another."""
    folder.mkdir(parents=True, exist_ok=True)
    temps: list[str] = []
    done = 0
    try:
        for plan in plans:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".import-", suffix=".tmp")
            temps.append(tmp)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(plan.text)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, public_mode())
        for plan, tmp in zip(plans, temps):
            _put_in_place(plan, tmp)
            done += 1
            tick(1)
    except OSError as exc:
        plan = plans[done] if done < len(plans) else plans[-1]
        written = ", ".join(str(p.row) for p in plans[:done])
        hint = f"rows {written} were written before it: fix the cause and run again with --update" if done else None
        message = f"could not write {plan.path}: {exc.strerror or exc}"
        raise TableError([RowProblem(table, plan.row, None, message, hint or "nothing was written")]) from None
    finally:
        for tmp in temps:
            Path(tmp).unlink(missing_ok=True)


def _put_in_place(plan: Planned, tmp: str) -> None:
    """Move a written file to its place: a new one never over another file, an update after a backup."""
    if plan.action == "create":
        try:
            os.link(tmp, plan.path)  # fails where the file appeared meanwhile: never overwrites
        except FileExistsError:
            raise
        except OSError:  # file systems without hard links
            if plan.path.exists():
                raise FileExistsError(17, "File exists", str(plan.path)) from None
            os.replace(tmp, plan.path)
        return
    plan.backup = _backup_path(plan.path)
    try:
        os.link(plan.path, plan.backup)
    except OSError:
        shutil.copy2(plan.path, plan.backup)
    os.replace(tmp, plan.path)
