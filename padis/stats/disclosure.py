"""Disclosure control for published tables: small-cell suppression with complementary suppression and an
audit by linear programming, and differentially private counts with OpenDP.

Rule: a cell 0 < n < threshold (default 10) is suppressed (primary). Zero cells are structural and
published. Complementary cells are then suppressed so that every row and column holding a suppressed cell
holds at least two; finally every suppressed cell is attacked with linear programming (the published cells,
row and column totals and non-negativity as constraints) and, while any cell's feasible interval is
narrower than the protection width, one more cell in its row is suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from padis.errors import InputError

DEFAULT_THRESHOLD = 10


@dataclass
class SuppressedTable:
    """A table ready to publish: values with suppressed cells masked, and the published margins."""

    values: np.ndarray          # the true cells (never publish this)
    primary: np.ndarray         # bool mask: below threshold
    secondary: np.ndarray       # bool mask: complementary
    row_totals: np.ndarray | None
    col_totals: np.ndarray
    threshold: int

    @property
    def suppressed(self) -> np.ndarray:
        """All suppressed cells."""
        return self.primary | self.secondary

    def published(self) -> np.ndarray:
        """Cell values as published, NaN where suppressed."""
        out = self.values.astype(float).copy()
        out[self.suppressed] = np.nan
        return out


def feasible_intervals(published: np.ndarray, row_totals: np.ndarray | None,
                       col_totals: np.ndarray) -> np.ndarray:
    """For each suppressed (NaN) cell, the [min, max] an attacker can infer by linear programming
    (``row_totals`` None: row totals are not published)."""
    from scipy.optimize import linprog

    cells = np.argwhere(np.isnan(published))
    k = len(cells)
    out = np.full(published.shape + (2,), np.nan)
    if k == 0:
        return out
    known = np.nan_to_num(published, nan=0.0)
    rows, cols = published.shape
    a_eq, b_eq = [], []
    for r in range(rows if row_totals is not None else 0):
        coef = np.array([1.0 if cells[i][0] == r else 0.0 for i in range(k)])
        if coef.any():
            a_eq.append(coef)
            b_eq.append(row_totals[r] - known[r].sum())  # type: ignore[index]
    for c in range(cols):
        coef = np.array([1.0 if cells[i][1] == c else 0.0 for i in range(k)])
        if coef.any():
            a_eq.append(coef)
            b_eq.append(col_totals[c] - known[:, c].sum())
    a, b = np.array(a_eq), np.array(b_eq)
    for i, (r, c) in enumerate(cells):
        obj = np.zeros(k)
        obj[i] = 1.0
        lo = linprog(obj, A_eq=a, b_eq=b, bounds=[(0, None)] * k, method="highs")
        hi = linprog(-obj, A_eq=a, b_eq=b, bounds=[(0, None)] * k, method="highs")
        out[r, c] = (lo.fun if lo.success else np.nan, -hi.fun if hi.success else np.inf)
    return out


def _add_in_row(values: np.ndarray, mask: np.ndarray, row: int) -> bool:
    """Suppress one more cell in ``row`` (pass transposed views for a column); False when none is left."""
    free = [j for j in range(values.shape[1]) if not mask[row, j]]
    if not free:
        return False
    # prefer a cell whose column already has a suppression (fewer cells lost), then the smallest
    crossing = mask.any(axis=0)
    j = min(free, key=lambda k: (not crossing[k], values[row, k]))
    mask[row, j] = True
    return True


def suppress(values: np.ndarray | list[list[int]], threshold: int = DEFAULT_THRESHOLD,
             min_width: float = 1.0, max_rounds: int = 200, audit_limit: int = 400) -> SuppressedTable:
    """Primary and complementary suppression of a 2-D count table whose margins are published (a table
    of one column publishes only its column total: its row totals would be the cells themselves).

    The linear-programming audit runs while at most ``audit_limit`` cells are suppressed (two LPs per cell);
    larger tables rely on the two-per-line rule alone."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 2:
        raise InputError("suppression needs a 2-D table", where="disclosure", why=f"got {v.ndim} dimensions")
    if (v < 0).any():
        raise InputError("counts must not be negative", where="disclosure", why="found a negative cell")
    primary = (v > 0) & (v < threshold)
    mask = primary.copy()
    row_totals = v.sum(axis=1) if v.shape[1] > 1 else None
    for _ in range(max_rounds):
        changed = False
        for r in range(v.shape[0] if row_totals is not None else 0):
            if mask[r].sum() == 1:
                changed |= _add_in_row(v, mask, r)
        for c in range(v.shape[1]):
            if mask[:, c].sum() == 1:
                changed |= _add_in_row(v.T, mask.T, c)
        if changed:
            continue
        if mask.sum() > audit_limit:
            break
        published = np.where(mask, np.nan, v)
        bounds = feasible_intervals(published, row_totals, v.sum(axis=0))
        weak = [(r, c) for r, c in np.argwhere(mask) if bounds[r, c, 1] - bounds[r, c, 0] < min_width]
        if not weak:
            break
        r, c = weak[0]
        added = row_totals is not None and _add_in_row(v, mask, r)
        if not added and not _add_in_row(v.T, mask.T, c):
            break
    return SuppressedTable(values=v, primary=primary, secondary=mask & ~primary,
                           row_totals=row_totals, col_totals=v.sum(axis=0), threshold=threshold)


def suppress_frame(frame: pl.DataFrame, row: str, col: str, value: str = "value",
                   threshold: int = DEFAULT_THRESHOLD) -> pl.DataFrame:
    """Suppress a long table (row, col, value) as a 2-D table with margins; adds a ``flag`` column
    (``""``, ``"primary"``, ``"secondary"``) and nulls the suppressed values."""
    wide = frame.pivot(on=col, index=row, values=value, aggregate_function="sum").fill_null(0).sort(row)
    col_names = [c for c in wide.columns if c != row]
    table = suppress(wide.select(col_names).to_numpy(), threshold)
    flags = np.where(table.primary, "primary", np.where(table.secondary, "secondary", ""))
    rows = wide.get_column(row).to_list()
    out = pl.DataFrame({
        row: np.repeat(np.array(rows, dtype=object), len(col_names)),
        col: np.tile(np.array(col_names, dtype=object), len(rows)),
        "flag": flags.reshape(-1),
        value: table.published().reshape(-1),
    }).with_columns(pl.col(value).fill_nan(None))
    return out.with_columns(pl.col(row).cast(frame.schema[row]), pl.col(col).cast(pl.Utf8))


@dataclass
class DPRelease:
    """Noisy counts with the privacy budget spent."""

    counts: np.ndarray
    epsilon: float
    scale: float
    mechanism: str

    def statement(self) -> str:
        """The privacy statement printed with the release (zh-CN)."""
        return (f"差分隐私发布：{self.mechanism}机制，ε = {self.epsilon:g}（每人至多计入一个单元格，"
                f"L1 敏感度 1，噪声尺度 {self.scale:g}）")


def dp_counts(counts: np.ndarray | list[int], epsilon: float) -> DPRelease:
    """Release integer counts under ε-differential privacy with OpenDP's discrete Laplace mechanism.

    Each person is counted in at most one cell, so the L1 sensitivity is 1 and the scale is 1/ε.
    Negative noisy counts are clipped to 0 (post-processing keeps the guarantee).
    """
    if not epsilon > 0:
        raise InputError(f"epsilon must be positive, got {epsilon}", where="--epsilon", why="e.g. 1.0")
    import opendp.prelude as dp

    dp.enable_features("contrib")
    values = [int(x) for x in np.asarray(counts).reshape(-1)]
    scale = 1.0 / epsilon
    meas = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale)
    spent = float(meas.map(1))
    if spent > epsilon * (1 + 1e-9):
        raise InputError("privacy budget exceeded", where="dp", why=f"mechanism spends ε = {spent}")
    noisy = np.maximum(np.asarray(meas(values), dtype=np.int64), 0).reshape(np.asarray(counts).shape)
    return DPRelease(counts=noisy, epsilon=spent, scale=scale, mechanism="离散拉普拉斯")
