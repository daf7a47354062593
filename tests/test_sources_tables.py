"""import-table and export-table: good rows written, every bad row and bad file told by file, row, column and
fix, nothing half-written, and a table read in and written out again unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from matcher.cli import cli
from matcher.cli.tables import export_table_command, import_table_command
from matcher.errors import BadMapping, TableError
from matcher.profiles.load import load_folder
from matcher.sources.tables import (
    COLUMNS,
    LIST_COLUMNS,
    country_code,
    export_table,
    import_table,
    parse_mapping,
    read,
    split_items,
)

HEADER = "name,aliases,country,kind,capabilities,needs,partners\n"
GOOD = (
    HEADER
    + "Volga Lasers,VL,Russia,company,airborne laser scanning; pipeline mapping,drone platforms,Sky Drones\n"
    + 'Sky Drones,,cn,Company,"drone platforms\nUAV pipeline inspection",laser scanning,\n'
    + "Уральский центр лазерных технологий,,RU,research institute,laser optics,,\n"
    + "Сибирский институт оптики,,RU,university,,optics research partners,\n"
    + "重庆大学,Chongqing University,CN,university,smart manufacturing research,,\n"
    + "华为技术有限公司,,China,company,5G networks,,\n"
)


def _csv(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _xlsx(tmp_path: Path, rows: list[list], name: str = "table.xlsx") -> Path:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "Partners"
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def _import(*args, **kw):
    return CliRunner().invoke(import_table_command, [str(a) for a in args], **kw)


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ----------------------------------------------------------------------------- good rows


def test_good_rows_become_valid_profiles_named_in_latin_letters(tmp_path):
    folder = tmp_path / "profiles"
    result = _import(_csv(tmp_path, GOOD), "--profiles", folder, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _listing(folder) == [
        "chongqingdaxue.yaml",
        "huaweijishuyouxiangongsi.yaml",
        "sibirskiy-institut-optiki.yaml",
        "sky-drones.yaml",
        "uralskiy-tsentr-lazernykh-tekhnologiy.yaml",
        "volga-lasers.yaml",
    ]
    assert f"row 2: {folder / 'volga-lasers.yaml'} (new)" in result.output
    assert result.output.endswith(
        f"Wrote 6 profiles to {folder} (6 new).\nCheck them with: matcher validate {folder}\n"
    )
    volga = yaml.safe_load((folder / "volga-lasers.yaml").read_text(encoding="utf-8"))
    assert volga == {
        "name": "Volga Lasers",
        "aliases": ["VL"],
        "country": "RU",
        "kind": "company",
        "capabilities": ["airborne laser scanning", "pipeline mapping"],
        "needs": ["drone platforms"],
        "partners": ["Sky Drones"],
    }
    sky = yaml.safe_load((folder / "sky-drones.yaml").read_text(encoding="utf-8"))
    assert sky["country"] == "CN" and sky["kind"] == "company"
    assert sky["capabilities"] == ["drone platforms", "UAV pipeline inspection"]  # one item a line
    assert CliRunner().invoke(cli, ["validate", str(folder)]).exit_code == 0
    ranked = CliRunner().invoke(cli, ["match", "--org", "VL", "--profiles", str(folder)], catch_exceptions=False)
    assert "1. Sky Drones (CN, company)" in ranked.output


def test_other_headers_are_mapped_and_a_column_left_out(tmp_path):
    text = "Company,Land,Type,Offers,Notes\nVolga Lasers,Russian Federation,company,laser scanning,call Ivan\n"
    folder = tmp_path / "p"
    mapping = "Company=name,Land=country,Type=kind,Offers=capabilities,Notes="
    result = _import(_csv(tmp_path, text), "--map", mapping, "--profiles", folder, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "call Ivan" not in (folder / "volga-lasers.yaml").read_text()


def test_xlsx_semicolon_csv_tsv_and_utf16_are_read(tmp_path):
    rows = [["Name", "Country", "Kind", "Capability"], ["Volga Lasers", "RU", "company", "laser scanning\nmapping"]]
    for path in (
        _xlsx(tmp_path, rows),
        _csv(tmp_path, "name;country;kind;capabilities\nVolga Lasers;RU;company;laser scanning\n", "semi.csv"),
        _csv(tmp_path, "name\tcountry\tkind\tcapabilities\nVolga Lasers\tRU\tcompany\tlaser scanning\n", "t.tsv"),
    ):
        result = import_table(path, tmp_path / path.stem)
        assert [p.name for p in result.written] == ["Volga Lasers"], path
    utf16 = tmp_path / "excel.txt"
    utf16.write_bytes("name\tcountry\tkind\tneeds\nVolga\tRU\tcompany\tlasers\n".encode("utf-16"))
    assert [p.name for p in import_table(utf16, tmp_path / "u16").written] == ["Volga"]


def test_blank_rows_are_counted_not_silently_dropped(tmp_path):
    text = HEADER + ",,,,,,\nVolga,,RU,company,lasers,,\n\n"
    result = import_table(_csv(tmp_path, text), tmp_path / "p")
    assert result.blank_rows == 2
    assert result.summary().endswith("(1 new); 2 blank rows skipped.")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a; b ;; c", ["a", "b", "c"]),
        ("a; b\nc", ["a; b", "c"]),  # with line breaks, ';' is text
        ("  ", []),
    ],
)
def test_split_items(text, expected):
    assert split_items(text) == expected


@pytest.mark.parametrize(
    "value, code",
    [("RU", "RU"), ("rus", "RU"), ("Russia", "RU"), ("Viet Nam", "VN"), ("UK", "GB"), ("Korea", None), ("Mars", None)],
)
def test_country_code(value, code):
    assert country_code(value) == code


# ----------------------------------------------------------------------------- bad rows and bad files


@pytest.mark.parametrize(
    "text, expected",
    [
        (HEADER + "Volga,,Atlantis,company,lasers,,\n", "table.csv:row 2: country: 'Atlantis' is not a country"),
        (
            HEADER + "Volga,,Korea,company,lasers,,\n",
            "table.csv:row 2: country: 'Korea' is not a country matcher knows — it could be KP (Korea, Democratic"
            " People's Republic of) or KR (Korea, Republic of): write its code",
        ),
        (
            HEADER + "Volga,,RU,startup,lasers,,\n",
            "table.csv:row 2: kind: 'startup' is not a known kind — use one of company, research-institute",
        ),
        (HEADER + ",,RU,company,lasers,,\n", "table.csv:row 2: name: is empty — fill in the organisation's name"),
        (HEADER + "Volga,,,company,lasers,,\n", "table.csv:row 2: country: is empty — fill in its country"),
        (
            HEADER + "Volga,,RU,company,,,\n",
            "table.csv:row 2: capabilities or needs: the organisation has no capabilities and no needs — fill in",
        ),
        (
            HEADER + '"=HYPERLINK(""http://evil"",""x"")",,RU,company,lasers,,\n',
            'table.csv:row 2: name: begins like a spreadsheet formula (\'=HYPERLINK("http://evil","x")\') — matcher'
            " reads text, not formulas",
        ),
        (HEADER + "Volga,,RU,company,\"=cmd|' /C calc'!A0\",,\n", "table.csv:row 2: capabilities: begins like a"),
        (HEADER + 'Volga,,RU,company,"@SUM(1+1)",,\n', "table.csv:row 2: capabilities: begins like a"),
        (
            HEADER + "Vol\u202eag,,RU,company,lasers,,\n",
            "table.csv:row 2: name: holds the invisible direction control U+202E (RIGHT-TO-LEFT OVERRIDE)",
        ),
        (
            HEADER + "Volga,,RU,company,las\x07ers,,\n",
            "table.csv:row 2: capabilities: holds the control character U+0007",
        ),
        (
            HEADER + "Volga,,RU,company,lasers,,\nVOLGA,,RU,company,optics,,\n",
            "table.csv:row 3: name: 'VOLGA' is also a name or alias on row 2 — names and aliases must be unique",
        ),
        (
            HEADER + "Volga,,RU,company,lasers,,,extra\n",
            "table.csv:row 1: column H: has a value on row 2 but no header — give the column a header",
        ),
        (
            "name,country,kind,Offers\nVolga,RU,company,lasers\n",
            "table.csv:row 1: Offers: is not a profile field — map it: --map 'Offers=FIELD'",
        ),
        ("name,country,capabilities\nVolga,RU,lasers\n", "table.csv:row 1: no column for 'kind' — add a 'kind' column"),
        (
            "name,country,kind,capability,capabilities\nV,RU,company,a,b\n",
            "table.csv:row 1: capabilities: is a second column for 'capabilities' (after 'capability')",
        ),
        (HEADER + 'Volga,,RU,company,"lasers,,\n', "table.csv:row 2: cannot be read as CSV"),
        ("", "table.csv: is empty — write a header row"),
    ],
)
def test_each_bad_row_is_told_and_nothing_is_written(tmp_path, text, expected, write_profile):
    folder = tmp_path / "profiles"
    write_profile(folder, "keep", name="Keep", country="CN", kind="company", needs=["x"])
    result = _import(_csv(tmp_path, text), "--profiles", folder)
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output
    assert _listing(folder) == ["keep.yaml"]  # nothing written, no temporary file left


def test_every_problem_is_listed_at_once(tmp_path):
    text = HEADER + "Volga,,Atlantis,company,lasers,,\n,,RU,company,x,,\nOK,,RU,company,x,,\n"
    result = _import(_csv(tmp_path, text), "--profiles", tmp_path / "p")
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'table.csv'}:row 2: country:")
    assert lines[1].startswith(f"{tmp_path / 'table.csv'}:row 3: name: is empty")
    assert lines[-1] == (
        f"Error: 2 problems in {tmp_path / 'table.csv'}: nothing was written. Fix them, or give --skip-invalid to"
        " write the valid rows."
    )


def test_every_problem_of_a_row_is_told_at_once(tmp_path):
    text = 'name,country,kind,capabilities\nSky,Atlantis,startup,"=HYPERLINK(""http://x"")"\n'
    with pytest.raises(TableError) as err:
        import_table(_csv(tmp_path, text), tmp_path / "p")
    assert [(p.row, p.field) for p in err.value.problems] == [(2, "country"), (2, "capabilities"), (2, "kind")]
    assert str(err.value.problems[0]).endswith(
        "'Atlantis' is not a country matcher knows — write its ISO 3166-1 code (e.g. RU) or its English name"
        " (e.g. Russia)"
    )


@pytest.mark.parametrize(
    "cell, expected",
    [
        ('=HYPERLINK("http://evil","x")', 'capabilities: is a formula (=HYPERLINK("http://evil","x")), not text'),
        (42, "capabilities: expected text, got the number 42 — format the column as Text"),
        (dt.datetime(2021, 4, 1), "capabilities: expected text, got the date 2021-04-01 00:00:00"),
        (True, "capabilities: expected text, got the logical value TRUE"),
    ],
)
def test_xlsx_cells_that_are_not_text(tmp_path, cell, expected):
    path = _xlsx(tmp_path, [["name", "country", "kind", "capabilities"], ["Volga", "RU", "company", cell]])
    with pytest.raises(TableError) as err:
        import_table(path, tmp_path / "p")
    assert f"{path}:row 2: {expected}" in str(err.value)
    assert not (tmp_path / "p").exists()


def test_an_xlsx_string_that_begins_with_equals_is_text(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["name", "country", "kind", "capabilities"])
    book.active.append(["Volga", "RU", "company", None])
    book.active["D2"].value = "=text, not a formula"
    book.active["D2"].data_type = "s"
    book.save(tmp_path / "t.xlsx")
    result = import_table(tmp_path / "t.xlsx", tmp_path / "p")
    assert "- =text, not a formula" in result.written[0].text


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("bin.csv", b"name,country\n\x00\x01", "bin.csv: is a binary file, not CSV text (a NUL byte on line 2)"),
        ("latin1.csv", "name\nCaf\xe9\n".encode("latin-1"), "latin1.csv: is not valid UTF-8 (byte 0xe9 on line 2)"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls: is an Excel 97-2003 workbook (.xls)"),
        ("fake.xlsx", b"name,country\n", "fake.xlsx: is not an Excel workbook (not a zip file)"),
        ("broken.xlsx", b"PK\x03\x04garbage", "broken.xlsx: is not a readable .xlsx workbook"),
        ("sheet.ods", b"whatever", "sheet.ods: is a .ods file, which matcher does not read — save it as .xlsx"),
    ],
)
def test_bad_files(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    result = _import(path, "--profiles", tmp_path / "p")
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output


def test_a_huge_table_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_TABLE_BYTES", 100)
    path = _csv(tmp_path, HEADER + "x" * 200)
    result = _import(path, "--profiles", tmp_path / "p")
    size = path.stat().st_size
    assert f"table.csv: is {size} bytes, more than the 100 a table may have — split the table" in result.output


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    path = _xlsx(tmp_path, [["name", "country", "kind", "needs"], ["V", "RU", "company", "x" * 5000]])
    monkeypatch.setattr(read, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(TableError, match=r"unpacks to [\d,]+ bytes, more than the 1,000 a table may"):
        import_table(path, tmp_path / "p")


def test_too_many_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_ROWS", 2)
    text = HEADER + "".join(f"V{i},,RU,company,x,,\n" for i in range(3))
    with pytest.raises(TableError, match="table.csv:row 4: the table has more than 2 rows"):
        import_table(_csv(tmp_path, text), tmp_path / "p")


def test_unknown_partner_is_a_warning(tmp_path):
    result = _import(_csv(tmp_path, HEADER + "Volga,,RU,company,x,,Nobody\n"), "--profiles", tmp_path / "p")
    assert result.exit_code == 0
    assert "table.csv:row 2: warning: partners: 'Nobody' names no profile in" in result.output


@pytest.mark.parametrize(
    "option, message",
    [
        ("Offers", "'Offers' is not HEADER=FIELD"),
        ("Offers=capabilites", "'capabilites' (in 'Offers=capabilites') is not a profile field — did you mean"),
        ("=name", "names no column"),
    ],
)
def test_bad_map_options(tmp_path, option, message):
    result = _import(_csv(tmp_path, GOOD), "--map", option, "--profiles", tmp_path / "p")
    assert result.exit_code == 2
    assert message in result.output
    with pytest.raises(BadMapping):
        parse_mapping([option])


def test_a_mapped_column_the_table_lacks(tmp_path):
    result = _import(_csv(tmp_path, GOOD), "--map", "Compnay=name", "--profiles", tmp_path / "p")
    assert "--map names a column 'compnay' that the table does not have" in result.output


# ----------------------------------------------------------------------------- names already in the folder


def test_a_name_in_the_folder_is_refused_unless_update(tmp_path, write_profile):
    folder = tmp_path / "profiles"
    old = write_profile(folder, "volga", name="Volga Lasers", country="RU", kind="company", needs=["x"])
    with open(old, "a") as fh:
        fh.write("sources:\n- article: a.txt\n  quote: Volga scans.\n")
    table = _csv(tmp_path, "name,country,kind,capabilities\nvolga lasers,RU,company,laser scanning\n")
    refused = _import(table, "--profiles", folder)
    assert refused.exit_code == 1
    assert (
        f"table.csv:row 2: name: 'volga lasers' is already the name or an alias of 'Volga Lasers' in {old} — give"
        " --update to rewrite that file (the old one is kept as volga.yaml.bak)"
    ) in refused.output
    before = old.read_text()
    updated = _import(table, "--profiles", folder, "--update", catch_exceptions=False)
    assert updated.exit_code == 0, updated.output
    assert f"row 2: {old} (updated) (old file kept as volga.yaml.bak)" in updated.output
    assert (folder / "volga.yaml.bak").read_text() == before
    new = yaml.safe_load(old.read_text())
    assert new["name"] == "volga lasers" and new["capabilities"] == ["laser scanning"]
    assert new["needs"] == ["x"]  # the table has no needs column: kept
    assert new["sources"] == [{"article": "a.txt", "quote": "Volga scans."}]  # sources are never in a table
    after = old.read_text()
    same = _import(table, "--profiles", folder, "--update", catch_exceptions=False)
    assert same.output == (
        f"row 2: {old} (unchanged)\nWrote 0 profiles to {folder}; 1 unchanged.\n"
    )  # a row that changes nothing leaves its file, and makes no backup
    assert old.read_text() == after and not (folder / "volga.yaml.bak2").exists()
    edited = _csv(tmp_path, "name,country,kind,capabilities\nvolga lasers,RU,company,laser mapping\n", "edited.csv")
    again = _import(edited, "--profiles", folder, "--update", catch_exceptions=False)
    assert "volga.yaml.bak2" in again.output  # an older backup is never overwritten
    assert (folder / "volga.yaml.bak2").read_text() == after


def test_skip_invalid_writes_the_valid_rows_and_lists_the_rest(tmp_path):
    text = HEADER + "Volga,,Atlantis,company,lasers,,\nSky,,CN,company,drones,,\n"
    folder = tmp_path / "p"
    result = _import(_csv(tmp_path, text), "--profiles", folder, "--skip-invalid", catch_exceptions=False)
    assert result.exit_code == 0
    assert "table.csv:row 2: country: 'Atlantis' is not a country" in result.output
    assert f"Wrote 1 profile to {folder} (1 new); left out 1 invalid row: 2." in result.output
    assert _listing(folder) == ["sky.yaml"]


def test_dry_run_writes_nothing(tmp_path):
    result = _import(_csv(tmp_path, GOOD), "--profiles", tmp_path / "p", "--dry-run", catch_exceptions=False)
    assert f"Would write 6 profiles to {tmp_path / 'p'} (6 new)." in result.output
    assert not (tmp_path / "p").exists()


def test_an_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    import os

    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", fsync)
    folder = tmp_path / "p"
    with pytest.raises(KeyboardInterrupt):
        import_table(_csv(tmp_path, GOOD), folder)
    assert _listing(folder) == []  # every file is written before any is put in place


def test_progress_is_reported(tmp_path):
    seen = []

    def progress(total):
        seen.append(total)
        return lambda n: seen.append(n)

    import_table(_csv(tmp_path, GOOD), tmp_path / "p", progress=progress)
    assert seen[0] == 12 and sum(seen[1:]) == 12


# ----------------------------------------------------------------------------- export and round trip


def _canonical(rows: list[list[str]]) -> str:
    def q(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"'

    return "\ufeff" + "".join(",".join(q(c) for c in row) + "\r\n" for row in [list(COLUMNS), *rows])


ROWS = [
    [
        "Sky Drones",
        "",
        "CN",
        "Shenzhen",
        "company",
        "drones",
        "UAV platforms\n-40 °C batteries",
        "laser scanning",
        "",
        "en",
        "",
    ],
    [
        "Volga Lasers",
        "VL\nVolga",
        "RU",
        "",
        "company",
        "",
        "laser scanning; mapping\n",
        "",
        "Sky Drones",
        "",
        "Made in Kazan.",
    ],
    ["Уральский центр", "", "RU", "", "research-institute", "", "=HYPERLINK is text here", "", "", "ru", "'quoted'"],
]


def test_csv_round_trip_is_lossless(tmp_path):
    escaped = [[("'" + c if c.startswith(("=", "-", "'")) else c) for c in row] for row in ROWS]
    escaped[0][6] = "UAV platforms\n-40 °C batteries"  # an item after a line break is not a cell's start
    table = tmp_path / "in.csv"
    table.write_text(_canonical(escaped), encoding="utf-8", newline="")
    folder = tmp_path / "p"
    import_table(table, folder)
    result = CliRunner().invoke(
        export_table_command, ["-o", str(tmp_path / "out.csv"), "--profiles", str(folder)], catch_exceptions=False
    )
    assert result.output == f"Wrote 3 profiles to {tmp_path / 'out.csv'}.\n"
    assert (tmp_path / "out.csv").read_bytes() == table.read_bytes()
    profile = yaml.safe_load((folder / "uralskiy-tsentr.yaml").read_text(encoding="utf-8"))
    assert profile["capabilities"] == ["=HYPERLINK is text here"] and profile["summary"] == "'quoted'"
    assert yaml.safe_load((folder / "volga-lasers.yaml").read_text())["capabilities"] == ["laser scanning; mapping"]
    # the table the profiles came from is not replaced unless asked
    table.write_bytes(b"Company,Offers\n")
    again = CliRunner().invoke(export_table_command, ["-o", str(table), "--profiles", str(folder)])
    assert again.exit_code == 1 and f"{table} exists: give --force to replace it, or another -o." in again.output
    assert table.read_bytes() == b"Company,Offers\n"
    forced = CliRunner().invoke(export_table_command, ["-o", str(table), "--profiles", str(folder), "--force"])
    assert forced.exit_code == 0 and table.read_bytes() == (tmp_path / "out.csv").read_bytes()


def test_xlsx_round_trip_is_lossless_and_formula_text_stays_text(tmp_path, write_profile):
    from openpyxl import load_workbook

    folder = tmp_path / "p"
    for row in ROWS:
        fields = dict(zip(COLUMNS, row))
        write_profile(
            folder,
            row[0][:5],
            **{k: (split_items(v) if k in LIST_COLUMNS else v) for k, v in fields.items() if v},
        )
    first = tmp_path / "one.xlsx"
    assert export_table(load_folder(folder).profiles, first) == 3
    ws = load_workbook(first).active
    cell = next(c for c in ws["G"] if c.value == "=HYPERLINK is text here")
    assert cell.data_type == "s" and cell.quotePrefix
    again = tmp_path / "again"
    import_table(first, again)
    second = tmp_path / "two.xlsx"
    export_table(load_folder(again).profiles, second)
    values = [[c.value for c in r] for r in load_workbook(first).active.iter_rows()]
    assert values == [[c.value for c in r] for r in load_workbook(second).active.iter_rows()]
    assert values[0] == list(COLUMNS) and len(values) == 4

    def by_name(f):
        return sorted(load_folder(f).profiles, key=lambda p: p.name)

    assert by_name(again) == by_name(folder)  # path and lines are not compared


def test_export_refuses_a_folder_with_a_broken_profile(tmp_path, write_profile):
    folder = tmp_path / "p"
    write_profile(folder, "ok", name="OK", country="CN", kind="company", needs=["x"])
    (folder / "bad.yaml").write_text("name: Bad\n")
    result = CliRunner().invoke(export_table_command, ["-o", str(tmp_path / "t.csv"), "--profiles", str(folder)])
    assert result.exit_code == 1
    assert "bad.yaml:1: country: required field is missing" in result.output
    assert "so they would be missing from the table" in result.output
    assert not (tmp_path / "t.csv").exists()


def test_export_refuses_an_unknown_suffix(tmp_path):
    result = CliRunner().invoke(export_table_command, ["-o", str(tmp_path / "t.pdf")])
    assert result.exit_code == 2
    assert "has the suffix '.pdf', which names no table format — write to a .csv, .tsv or .xlsx file" in result.output


def test_the_docs_spreadsheet_imports_and_matches(tmp_path):
    """docs/examples/partners.csv, the worked example of docs/tables.md: five rows in, match --org out."""
    example = Path(__file__).resolve().parents[1] / "docs" / "examples" / "partners.csv"
    folder = tmp_path / "my-profiles"
    mapping = "Organisation=name,Also known as=aliases,Offers=capabilities,Seeks=needs"
    result = _import(example, "--map", mapping, "--profiles", folder, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Wrote 5 profiles to {folder} (5 new)." in result.output
    assert "shenzhen-feiyi-wurenji-youxiangongsi.yaml" in _listing(folder)
    ranked = CliRunner().invoke(
        cli, ["match", "--org", "Feiyi Drones", "--profiles", str(folder), "--format", "json"], catch_exceptions=False
    )
    names = [m["name"] for m in yaml.safe_load(ranked.output)["matches"]]
    assert names == ["Уральский центр лазерных технологий", "Győri Szenzor Kft."]


@pytest.mark.parametrize("command", [import_table_command, export_table_command])
def test_the_commands_have_help_with_an_example(command):
    assert command.help and "Example" in command.help
    assert CliRunner().invoke(command, ["--help"]).exit_code == 0


def test_the_progress_bar_shows_only_after_a_few_seconds_on_a_terminal(monkeypatch):
    import io

    from matcher.cli import tables as commands

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    now = [0.0]
    monkeypatch.setattr(commands.time, "monotonic", lambda: now[0])
    shown, piped = Terminal(), io.StringIO()
    ticks = [commands.delayed_bar("Importing", after=2.0, file=f)(10) for f in (shown, piped)]
    for tick in ticks:
        tick(3)
    assert shown.getvalue() == ""  # a small table never shows one
    now[0] = 2.5
    for tick in ticks:
        tick(3)
        tick(4)
    assert "Importing" in shown.getvalue() and "100%" in shown.getvalue()
    assert piped.getvalue() == ""  # nor a pipe


def test_the_docs_show_what_bad_rows_really_give(tmp_path, monkeypatch):
    """The problems listed in docs/tables.md are the real output for their table."""
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "tables.md").read_text(encoding="utf-8")
    shown = re.search(r"## When rows are wrong\n.*?```text\n(.*?)```", doc, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    _csv(
        tmp_path,
        "name,country,kind,capabilities\nVolga Lasers,Korea,company,laser scanning\n,RU,company,x\n"
        'Sky,CN,startup,"=HYPERLINK(""http://x"")"\n',
        "bad.csv",
    )
    result = _import("bad.csv", "--profiles", "my-profiles")
    assert result.exit_code == 1
    assert result.stderr == shown


def test_a_profile_given_as_a_table_and_a_table_given_as_profiles_point_to_the_right_command(tmp_path):
    profile = _csv(tmp_path, "name: Volga Lasers\ncountry: RU\nkind: company\nneeds: [x]\n", "volga.yaml")
    wrong = CliRunner().invoke(import_table_command, [str(profile), "--profiles", str(tmp_path / "p")])
    assert wrong.exit_code == 1 and "volga.yaml: is a profile, not a table — check it with: matcher validate" in (
        wrong.output
    )
    assert not (tmp_path / "p").exists()
    table = _csv(tmp_path, "name,country,kind,needs\nVolga,RU,company,x\n")
    given = CliRunner().invoke(cli, ["match", "--org", "Volga", "--profiles", str(table)])
    assert given.exit_code != 0
    assert f"To make profiles of a table's rows: matcher import-table {table} --profiles FOLDER." in given.output
