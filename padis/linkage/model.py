"""Prepare records, train the Splink model without labels (EM), save/load it, and score pairs."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from splink import Linker, SettingsCreator, block_on

from padis.errors import ConfigError, InputError
from padis.linkage import engine as eng
from padis.linkage.blocking import blocking_rules, column_keys
from padis.linkage.comparisons import CATALOGUE
from padis.linkage.settings import LinkSettings, parse_settings

log = logging.getLogger(__name__)
SPLINK_LOG_LEVEL = logging.ERROR
# A level random sampling never saw gets this u.
M_FLOOR = 1e-4
M_MIN = 1e-3


def prepare(
    frame: pl.DataFrame,
    settings: LinkSettings,
    *,
    source: str | None = None,
    where: str = "input",
    offset: int = 0,
) -> pl.DataFrame:
    """Check ``frame`` against ``settings`` and derive the comparison features (one row per record).

    Output columns: ``unique_id`` (int, from ``offset``), ``__rid`` (the id column as text), ``__src``
    (source), and each column's derived features.
    """
    if frame.height == 0:
        raise InputError("no records to link", where=where, why="the file is empty")
    missing = [c for c in [settings.id_column, *(c.name for c in settings.columns)] if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"settings name column(s) missing from the data: {', '.join(missing)}",
            where=where,
            why="columns present: " + ", ".join(frame.columns[:30]),
        )
    src = (
        frame.get_column(settings.source_column).cast(pl.Utf8)
        if settings.source_column and settings.source_column in frame.columns
        else pl.Series("__src", [source or "input"] * frame.height, dtype=pl.Utf8)
    )
    rid = frame.get_column(settings.id_column).cast(pl.Utf8)
    if rid.null_count():
        raise InputError(
            f"{rid.null_count()} row(s) have no id in column {settings.id_column!r}",
            where=where,
            why="every record needs an id",
        )
    dup = pl.DataFrame({"s": src, "r": rid}).filter(pl.struct("s", "r").is_duplicated())
    if dup.height:
        raise InputError(
            f"{dup.height} rows share an id in column {settings.id_column!r}",
            where=where,
            why="ids must be unique within a file",
        )
    parts = [
        pl.DataFrame(
            {
                "unique_id": pl.int_range(offset, offset + frame.height, eager=True, dtype=pl.Int64),
                "__rid": rid,
                "__src": src.alias("__src"),
            }
        )
    ]
    for col in settings.columns:
        parts.append(CATALOGUE[col.type].prepare(frame.get_column(col.name), col.name))
    out = pl.concat(parts, how="horizontal")
    return _fill_birth_from_id(out, settings)


def _fill_birth_from_id(frame: pl.DataFrame, settings: LinkSettings) -> pl.DataFrame:
    """Take a missing birth date from the identity number (digits 7–14)."""
    ids, dates = settings.of_type("id_number"), settings.of_type("birth_date")
    if not ids or not dates:
        return frame
    birth, d = f"{ids[0]}__birth", dates[0]
    filled = pl.coalesce(pl.col(f"{d}__d"), pl.col(birth))
    return frame.with_columns(filled.alias(f"{d}__d")).with_columns(
        pl.col(f"{d}__d").str.slice(0, 4).alias(f"{d}__y"),
        pl.col(f"{d}__d").str.slice(5, 2).alias(f"{d}__m"),
        pl.col(f"{d}__d").str.slice(8, 2).alias(f"{d}__dd"),
    )


def feature_columns(settings: LinkSettings, prepared: pl.DataFrame) -> list[str]:
    """The columns Splink needs: ids, source and derived features."""
    return [
        c for c in prepared.columns if c in ("unique_id", "__src") or "__" in c and not c.startswith("__")
    ]


def settings_creator(settings: LinkSettings, *, between: bool = False) -> SettingsCreator:
    """The Splink settings for ``settings`` (untrained)."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[CATALOGUE[c.type].comparison(c.name) for c in settings.columns],
        blocking_rules_to_generate_predictions=blocking_rules(settings, between=between),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
        probability_two_random_records_match=1e-6,
    )


def settings_dict(
    settings: LinkSettings, dialect: str, params: dict[str, Any] | None = None, *, between: bool = False
) -> dict[str, Any]:
    """Splink settings as a dict in ``dialect`` with trained parameters filled in."""
    d = settings_creator(settings, between=between).create_settings_dict(dialect)
    if params:
        d["probability_two_random_records_match"] = params["probability_two_random_records_match"]
        for comp in d["comparisons"]:
            levels = params["comparisons"].get(comp["output_column_name"], [])
            for lvl, p in zip(comp["comparison_levels"], levels, strict=False):
                for k in ("m_probability", "u_probability"):
                    if p.get(k) is not None and not lvl.get("is_null_level"):
                        lvl[k] = p[k]
    return d


def _params_from_model(model_dict: dict[str, Any]) -> dict[str, Any]:
    for comp in model_dict["comparisons"]:
        for lvl in comp["comparison_levels"]:
            if lvl.get("is_null_level"):
                continue
            if lvl.get("u_probability") is None:
                lvl["u_probability"] = M_FLOOR
            if lvl.get("m_probability") is None:
                # Never seen among the likely matches EM looked at: rare for a true match.
                lvl["m_probability"] = M_MIN
            else:
                # EM can drive m of a level to ~0 when training pairs never show it (an address
                # present in only two sources, say); a floor keeps one field from vetoing a match.
                lvl["m_probability"] = max(lvl["m_probability"], M_MIN)
    return {
        "probability_two_random_records_match": model_dict["probability_two_random_records_match"],
        "comparisons": {
            c["output_column_name"]: [
                {
                    "m_probability": lvl.get("m_probability"),
                    "u_probability": lvl.get("u_probability"),
                    "label": lvl.get("label_for_charts"),
                }
                for lvl in c["comparison_levels"]
            ]
            for c in model_dict["comparisons"]
        },
    }


def em_rules(settings: LinkSettings) -> list[object]:
    """Blocking rules for EM sessions so that each comparison is estimated at least once."""
    keys = column_keys(settings)
    ids, names = settings.of_type("id_number"), settings.of_type("chinese_name")
    dates = settings.of_type("birth_date") + settings.of_type("date")
    rules: list[object] = []
    if ids:
        rules.append(block_on(keys[ids[0]]["id"]))
    if names and dates:
        rules.append(block_on(keys[names[0]]["name_py"], keys[dates[0]]["date"]))
    if len(rules) < 2:
        firsts = [next(iter(k.values())) for k in keys.values()]
        rules += [block_on(f) for f in firsts[:2]]
    return rules


def _deterministic_rules(settings: LinkSettings) -> tuple[list[object], float]:
    keys = column_keys(settings)
    ids, names = settings.of_type("id_number"), settings.of_type("chinese_name")
    dates = settings.of_type("birth_date") + settings.of_type("date")
    if ids:
        return [block_on(keys[ids[0]]["id"])], 0.85
    if names and dates:
        return [block_on(keys[names[0]]["name"], keys[dates[0]]["date"])], 0.7
    firsts = [next(iter(k.values())) for k in keys.values()]
    return [block_on(*firsts[:3])], 0.6


@dataclass
class LinkModel:
    """A trained model: the padis settings, Splink parameters and term-frequency tables."""

    settings: LinkSettings
    params: dict[str, Any]
    tf_tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    splink_model: dict[str, Any] = field(default_factory=dict)

    def save(self, folder: str | Path) -> Path:
        """Write the model to ``folder`` (padis.json, splink_model.json, tf_*.parquet)."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        (out / "padis.json").write_text(
            json.dumps(
                {"settings": self.settings.to_dict(), "params": self.params}, ensure_ascii=False, indent=1
            ),
            encoding="utf-8",
        )
        (out / "splink_model.json").write_text(json.dumps(self.splink_model, ensure_ascii=False, indent=1))
        for col, tf in self.tf_tables.items():
            tf.write_parquet(out / f"tf_{col}.parquet")
        return out

    @classmethod
    def load(cls, folder: str | Path) -> LinkModel:
        """Read a model written by ``save``."""
        p = Path(folder)
        if not (p / "padis.json").is_file():
            raise ConfigError("no linkage model here", where=str(p), why="train one with `padis link dedupe`")
        data = json.loads((p / "padis.json").read_text(encoding="utf-8"))
        settings = parse_settings(data["settings"], where=str(p / "padis.json"))
        tfs = {f.stem[3:]: pl.read_parquet(f) for f in p.glob("tf_*.parquet")}
        return cls(settings=settings, params=data["params"], tf_tables=tfs)

    def match_weights(self) -> pl.DataFrame:
        """One row per comparison level: label, m, u and match weight (log2 m/u)."""
        import math

        rows = []
        for comp, levels in self.params["comparisons"].items():
            for i, lvl in enumerate(levels):
                m, u = lvl.get("m_probability"), lvl.get("u_probability")
                w = math.log2(m / u) if m and u else None
                rows.append(
                    {"comparison": comp, "level": i, "label": lvl.get("label"), "m": m, "u": u, "weight": w}
                )
        return pl.DataFrame(rows)


def _linker(db_api: Any, table: Any, settings_d: dict[str, Any] | SettingsCreator) -> Linker:
    logging.getLogger("splink").setLevel(SPLINK_LOG_LEVEL)
    return Linker(table, settings_d, log_level=None)


def _tf_columns(settings: LinkSettings) -> list[str]:
    return [t for c in settings.columns for t in CATALOGUE[c.type].tf_columns(c.name)]


def train(prepared: pl.DataFrame, settings: LinkSettings, *, engine: str = "duckdb") -> LinkModel:
    """Estimate the model without labels: prior from a deterministic rule, u by sampling, m by EM."""
    db = eng.make_db_api(engine)
    dialect = db.sql_dialect.sql_dialect_str
    table = eng.register(db, prepared.select(feature_columns(settings, prepared)), "records")
    linker = _linker(db, table, settings_dict(settings, dialect))
    rules, recall = _deterministic_rules(settings)
    linker.training.estimate_probability_two_random_records_match(rules, recall=recall)
    n = prepared.height
    max_pairs = min(settings.max_pairs_u, max(1e5, n * (n - 1) / 2 / 20))
    linker.training.estimate_u_using_random_sampling(
        max_pairs=max_pairs, seed=settings.seed, min_count_per_level=None, num_chunks=1
    )
    for rule in em_rules(settings):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    model_dict = linker.misc.save_model_to_json()
    tfs = {}
    for col in _tf_columns(settings):
        tfs[col] = eng.to_polars(linker.table_management.compute_tf_table(col))
    return LinkModel(
        settings=settings, params=_params_from_model(model_dict), tf_tables=tfs, splink_model=model_dict
    )


def _register_tf(linker: Linker, db: Any, model: LinkModel) -> None:
    for col, tf in model.tf_tables.items():
        t = eng.register(db, tf, f"tf_lookup_{col}")
        linker.table_management.register_term_frequency_lookup(t, col)


PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "match_weight", "match_probability")


def predict(
    prepared: pl.DataFrame,
    model: LinkModel,
    *,
    engine: str = "duckdb",
    threshold: float | None = None,
    between: bool = False,
) -> pl.DataFrame:
    """Score the blocked pairs of ``prepared`` (pairs with probability ≥ ``threshold``)."""
    settings = model.settings
    db = eng.make_db_api(engine)
    dialect = db.sql_dialect.sql_dialect_str
    table = eng.register(db, prepared.select(feature_columns(settings, prepared)), "records")
    linker = _linker(db, table, settings_dict(settings, dialect, model.params, between=between))
    _register_tf(linker, db, model)
    lo = settings.review_low if threshold is None else threshold
    result = linker.inference.predict(threshold_match_probability=lo, warning_mode="never")
    return _with_levels(_tidy_pairs(eng.to_polars(result), settings), model)


def predict_incremental(
    existing: pl.DataFrame,
    new: pl.DataFrame,
    model: LinkModel,
    *,
    engine: str = "duckdb",
    threshold: float | None = None,
) -> pl.DataFrame:
    """Score pairs new-vs-existing and within new, with the trained model (existing pairs untouched)."""
    settings = model.settings
    db = eng.make_db_api(engine)
    dialect = db.sql_dialect.sql_dialect_str
    cols = feature_columns(settings, existing)
    t_old = eng.register(db, existing.select(cols), "existing")
    t_new = eng.register(db, new.select(cols), "new")
    linker = _linker(db, t_old, settings_dict(settings, dialect, model.params))
    _register_tf(linker, db, model)
    lo = settings.review_low if threshold is None else threshold
    between = linker.inference.predict_between(
        t_old, t_new, threshold_match_probability=lo, warning_mode="never"
    )
    within = linker.inference.predict_within(t_new, threshold_match_probability=lo, warning_mode="never")
    pairs = pl.concat([eng.to_polars(between), eng.to_polars(within)], how="diagonal_relaxed")
    return _with_levels(_tidy_pairs(pairs, settings), model)


def _tidy_pairs(pairs: pl.DataFrame, settings: LinkSettings) -> pl.DataFrame:
    """Keep ids, probability, weight and per-comparison levels/weights; lower id on the left."""
    keep = [c for c in pairs.columns if c in PAIR_COLUMNS or c.startswith(("gamma_", "mw_"))]
    out = pairs.select(keep)
    lo = pl.min_horizontal("unique_id_l", "unique_id_r")
    hi = pl.max_horizontal("unique_id_l", "unique_id_r")
    return out.with_columns(lo.alias("unique_id_l"), hi.alias("unique_id_r")).unique(
        ["unique_id_l", "unique_id_r"], keep="first"
    )


def _with_levels(pairs: pl.DataFrame, model: LinkModel) -> pl.DataFrame:
    """Each comparison's level (``gamma_<comparison>``) read back from its match weight.

    Splink 5 keeps the comparison vector only with the matching columns (large on millions of pairs);
    each level's weight log2(m/u) is distinct, so the weight names the level. A weight no level has
    (or the neutral 0 of a level never seen in training) reads as the null level, -1.
    """
    extra = []
    for comp, levels in model.params["comparisons"].items():
        if f"gamma_{comp}" in pairs.columns or f"mw_{comp}" not in pairs.columns:
            continue
        non_null = levels[1:]
        weights = {
            round(math.log2(lv["m_probability"] / lv["u_probability"]), 4): len(non_null) - 1 - i
            for i, lv in enumerate(non_null)
            if lv.get("m_probability") and lv.get("u_probability")
        }
        extra.append(
            pl.col(f"mw_{comp}")
            .round(4)
            .replace_strict(weights, default=-1, return_dtype=pl.Int8)
            .alias(f"gamma_{comp}")
        )
    return pairs.with_columns(extra) if extra else pairs


def level_labels(params_or_settings: LinkSettings) -> dict[str, dict[int, str]]:
    """For each comparison, Splink's gamma value → level label."""
    d = settings_creator(params_or_settings).create_settings_dict("duckdb")
    out: dict[str, dict[int, str]] = {}
    for comp in d["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        labels = {
            len(levels) - 1 - i: lv.get("label_for_charts") or lv["sql_condition"]
            for i, lv in enumerate(levels)
        }
        out[comp["output_column_name"]] = labels | {-1: "缺失 missing"}
    return out


def compare_levels(
    left: pl.DataFrame,
    right: pl.DataFrame,
    settings: LinkSettings,
    *,
    engine: str = "duckdb",
    model: LinkModel | None = None,
) -> pl.DataFrame:
    """Which level of each comparison row i of ``left`` reaches against row i of ``right`` (no blocking)."""
    n = left.height
    if right.height != n:
        raise InputError("left and right need the same number of rows", where="compare_levels")
    pl_ = prepare(left, settings, source="l", where="left")
    pr = prepare(right, settings, source="r", where="right", offset=n)
    both = pl.concat([pl_, pr])
    db = eng.make_db_api(engine)
    dialect = db.sql_dialect.sql_dialect_str
    cols = feature_columns(settings, both)
    table = eng.register(db, both.select(cols), "records")
    linker = _linker(db, table, settings_dict(settings, dialect, model.params if model else None))
    if model is not None:
        _register_tf(linker, db, model)
    t_l = eng.register(db, pl_.select(cols), "cmp_left")
    t_r = eng.register(db, pr.select(cols), "cmp_right")
    scored = eng.to_polars(linker.inference.score_pairs(t_l, t_r))
    scored = scored.filter(pl.col("unique_id_r") - pl.col("unique_id_l") == n).sort("unique_id_l")
    labels = level_labels(settings)
    return scored.select(
        pl.col("unique_id_l").alias("row"),
        *[
            pl.col(f"gamma_{c}").replace_strict(lab, default=None, return_dtype=pl.Utf8).alias(c)
            for c, lab in labels.items()
        ],
        "match_probability",
    )
