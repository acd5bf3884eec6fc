"""Table cells every kind's tables share: durations, shares and bit rates as short text."""

from __future__ import annotations

from vnetsim.units import format_duration_ns


def duration(ns: float | None) -> str:
    """``12.3us``; ``-`` for a missing value (None or NaN)."""
    return "-" if ns is None or ns != ns else format_duration_ns(float(ns))


def share(x: float | None) -> str:
    """A fraction as a percentage with one decimal; ``-`` for None."""
    return "-" if x is None else f"{100 * float(x):.1f}%"


def bitrate(bps: float | None) -> str:
    """``25 Gb/s``: four significant digits in the largest unit that fits."""
    if bps is None:
        return "-"
    for unit, scale in (("Tb/s", 1e12), ("Gb/s", 1e9), ("Mb/s", 1e6), ("kb/s", 1e3)):
        if abs(bps) >= scale:
            return f"{bps / scale:.4g} {unit}"
    return f"{bps:.4g} b/s"


def size(n_bytes: float | None) -> str:
    """``10.75 TB``: four significant digits in the largest decimal (SI) unit that fits, as
    storage capacities are sold; ``-`` for None."""
    if n_bytes is None or n_bytes != n_bytes:
        return "-"
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n_bytes) >= scale:
            return f"{n_bytes / scale:.4g} {unit}"
    return f"{n_bytes:.4g} B"


def split_constant(columns: list[str], rows: list[list[str]], keep: int = 1) -> tuple[list[int], list[str]]:
    """Which columns differ between rows, and ``header value`` of those that do not.

    The first ``keep`` columns (the row's name) always stay. With one row nothing is constant (a
    table of one variant shows everything). Summary tables lead with what differs between
    variants and say the rest once, under the table.
    """
    if len(rows) < 2:
        return list(range(len(columns))), []
    varying, same = list(range(keep)), []
    for j in range(keep, len(columns)):
        values = {r[j] for r in rows}
        if len(values) == 1:
            same.append(f"{columns[j]} {next(iter(values))}")
        else:
            varying.append(j)
    return varying, same


def _plain(cell) -> str:
    from rich.text import Text

    return cell.plain if isinstance(cell, Text) else Text.from_markup(str(cell)).plain


def _width(column) -> int:
    """The narrowest a column can be without cutting a cell (padding included): every cell on one
    line for a column that does not wrap, its longest word for one that does."""
    from rich.cells import cell_len

    texts = [_plain(column.header), *(_plain(c) for c in column._cells)]
    parts = [line for t in texts for line in t.split("\n")] if column.no_wrap else \
        [w for t in texts for w in t.split()]
    return max((cell_len(p) for p in parts), default=1) + 3


def print_table(console, table, keep: int = 1) -> None:
    """Print a rich table so that no number is cut: right-aligned (numeric) columns never wrap;
    when the table is wider than the console, its columns are split over several tables, each
    repeating the first ``keep`` columns (the variant), rather than truncating cells with '…'."""
    from rich.table import Table

    for col in table.columns:
        if col.justify == "right":
            col.no_wrap = True
        elif col.overflow == "ellipsis":
            col.overflow = "fold"
    widths = [_width(c) for c in table.columns]
    fixed = sum(widths[:keep])
    if sum(widths) + 1 <= console.width or len(table.columns) <= keep + 1:
        console.print(table)
        return
    groups: list[list[int]] = [[]]
    used = fixed
    for j in range(keep, len(table.columns)):
        if groups[-1] and used + widths[j] + 1 > console.width:
            groups.append([])
            used = fixed
        groups[-1].append(j)
        used += widths[j]
    n_rows = table.row_count
    for k, group in enumerate(groups):
        title = table.title if k == 0 else f"{table.title or ''} (continued)".strip()
        part = Table(title=title, title_justify=table.title_justify,
                     caption=table.caption if k == len(groups) - 1 else None, caption_justify=table.caption_justify,
                     caption_style=table.caption_style)
        for j in [*range(keep), *group]:
            c = table.columns[j]
            part.add_column(c.header, justify=c.justify, no_wrap=c.no_wrap, overflow=c.overflow)
        for i in range(n_rows):
            part.add_row(*[table.columns[j]._cells[i] for j in [*range(keep), *group]],
                         end_section=table.rows[i].end_section)
        console.print(part)
