"""A file of phone numbers, as people upload them: one per line, or a CSV whose header
names a phone column. Shared by the CLI (`campaign send --file`) and the dashboard."""

from __future__ import annotations

import csv

PHONE_COLUMNS = {"phone", "phone_number", "number", "recipient", "recipients", "msisdn", "e164"}


def numbers_from_csv(text: str) -> list[str]:
    """The numbers of a CSV whose header names a phone column (phone, phone_number, number,
    recipient, msisdn), else of its first column. Exact repeats are dropped so that no
    batch sends twice to the same line."""
    rows = [row for row in csv.reader(text.lstrip("\ufeff").splitlines()) if row]
    column = 0
    if rows:
        header = [cell.strip().lower() for cell in rows[0]]
        named = [i for i, name in enumerate(header) if name in PHONE_COLUMNS]
        if named:
            column, rows = named[0], rows[1:]
    numbers = (row[column].strip() for row in rows if len(row) > column)
    return list(dict.fromkeys(n for n in numbers if n))


def batches(numbers: list[str], size: int) -> list[list[str]]:
    """Chunks of at most `size`, none smaller than 2 (the API's least)."""
    chunks = [numbers[i : i + size] for i in range(0, len(numbers), size)]
    if len(chunks) > 1 and len(chunks[-1]) < 2:
        chunks[-1].insert(0, chunks[-2].pop())
    return chunks
