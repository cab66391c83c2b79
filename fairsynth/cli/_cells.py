"""Command-line forms of the sampler's cell options: ``--strategy`` and ``--bins``."""

from pathlib import Path

import pandas as pd

from ._io import CLIError, check_columns, match_value, read_table

NAMED_STRATEGIES = ("auto", "parity", "balance")
STRATEGY_FORMS = (
    "a name (auto, parity, balance), cell sizes inline as GROUP:CLASS=N,... (several "
    "sensitive columns: their values joined by '/', e.g. Female/Black:1=300), or a "
    "CSV file with the sensitive columns, the target and n_rows"
)


def parse_strategy(text, frame, sensitive, target):
    """Return ``--strategy`` as FairGANSampler's ``sampling_strategy``.

    Cell sizes, inline or from a file, become a dict ``{(group, class): n_rows}``
    in the table's own value types; cells left out keep their rows.
    """
    if text in NAMED_STRATEGIES:
        return text
    if Path(text).suffix.lower() == ".csv" or Path(text).is_file():
        rows = _cell_file(text, sensitive, target)
    else:
        rows = [_inline_cell(item, len(sensitive)) for item in text.split(",")]
    strategy = {}
    for groups, label, n_rows in rows:
        values = tuple(
            match_value(group, pd.unique(frame[name].dropna()), f"a group of {name!r}")
            for name, group in zip(sensitive, groups, strict=True)
        )
        key = (
            values[0] if len(values) == 1 else values,
            match_value(
                label, pd.unique(frame[target].dropna()), f"a class of {target!r}"
            ),
        )
        strategy[key] = n_rows
    return strategy


def _inline_cell(item, n_sensitive):
    """``"Female:1=300"`` as ``(["Female"], "1", 300)``."""
    cell, equals, size = item.strip().rpartition("=")
    groups, colon, label = cell.rpartition(":")
    groups = groups.split("/")
    if not (equals and colon) or len(groups) != n_sensitive or not size.isdigit():
        raise CLIError(f"--strategy: cannot read {item!r}; give {STRATEGY_FORMS}.")
    return groups, label, int(size)


def _cell_file(path, sensitive, target):
    """Read the cells of a ``--strategy`` CSV file as ``(groups, class, n_rows)``."""
    if not Path(path).is_file():
        raise CLIError(f"--strategy {path}: no such file; give {STRATEGY_FORMS}.")
    table = read_table(path)
    check_columns(table, [*sensitive, target, "n_rows"], path, "--strategy")
    return [
        ([str(row[name]) for name in sensitive], str(row[target]), int(row["n_rows"]))
        for _, row in table.iterrows()
    ]


def bin_columns(frame, items, path):
    """Replace each ``--bins COL=K`` column by its K quantile bands, as text."""
    frame = frame.copy()
    for item in items or []:
        name, equals, count = item.partition("=")
        if not equals or not count.isdigit() or int(count) < 2:
            raise CLIError(f"--bins {item!r}: write it as COLUMN=K, with K >= 2 bands.")
        check_columns(frame, [name], path, "--bins")
        column = pd.to_numeric(frame[name], errors="coerce")
        if column.notna().sum() < frame[name].notna().sum():
            raise CLIError(
                f"--bins {name}: the column is not numeric; bin numbers only."
            )
        bands = pd.qcut(column, q=int(count), duplicates="drop")
        frame[name] = bands.astype(str).where(column.notna())
    return frame
