"""Reading an uploaded CSV file the same strict way everywhere: UTF-8, bounded in bytes and
lines, every line no wider than its header, no NUL character. A line that breaks a rule is
a 422 naming it (`"line 7"`), never a silent cut or a server error."""

from __future__ import annotations

import csv
import io

from herald.errors import ValidationFailed

MAX_BYTES = 5_000_000  # an upload larger than this is refused before it is parsed
MAX_CELL = csv.field_size_limit()  # characters in one cell (131,072)

Record = dict[str, str]


def read(raw: bytes, max_lines: int) -> tuple[list[str], list[tuple[int, Record]]]:
    """The header and lines of an upload (see `records`)."""
    return records(decode(raw, max_lines), max_lines)


def decode(raw: bytes, max_lines: int) -> str:
    """The text of an upload, refused when it is too large or not UTF-8."""
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(
            {"body": f"A CSV upload is at most {MAX_BYTES:,} bytes and {max_lines:,} lines."}
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed({"body": "The CSV file must be UTF-8 text."}) from exc


def records(text: str, max_lines: int) -> tuple[list[str], list[tuple[int, Record]]]:
    """The header and every non-empty line as (line number, {column: cell}); a cell missing
    at the end of a line reads as ""."""
    # strict: a quote left open is an error, not a cell that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    header: list[str] = []
    found: list[tuple[int, Record]] = []
    try:
        header = next(reader, [])
        _check_cells(reader.line_num, header)
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            _check_cells(line, cells)
            if len(cells) > len(header):
                raise ValidationFailed(
                    {f"line {line}": f"Has {len(cells)} cells; the header names {len(header)}."}
                )
            if len(found) == max_lines:
                raise ValidationFailed({"body": f"A CSV upload is at most {max_lines:,} lines."})
            padded = cells + [""] * (len(header) - len(cells))
            found.append((line, dict(zip(header, padded, strict=True))))
    except csv.Error as exc:
        raise ValidationFailed({f"line {max(reader.line_num, 1)}": _plain(exc)}) from exc
    return header, found


def _check_cells(line: int, cells: list[str]) -> None:
    if any("\x00" in cell for cell in cells):
        raise ValidationFailed({f"line {line}": "Must not contain the NUL character (U+0000)."})


def _plain(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return f"A cell is longer than {MAX_CELL:,} characters."
    return "Is not valid CSV (check its quotes)."
