"""SDMX 2.1 exchange: a data structure definition for the indicators, SDMX-ML structure-specific data and
SDMX-CSV, written and read with the maintained ``sdmx1`` library.

Dimensions: INDICATOR, REF_AREA (division code), SEX (_T, 1, 2), AGE (_T or an age group), TIME_PERIOD
(period code). Measure OBS_VALUE. Agency PADIS, dataflow DF_PADIS_INDICATORS.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from padis.errors import InputError
from padis.stats.divisions import division_name

AGENCY = "PADIS"
DSD_ID = "DSD_PADIS_INDICATORS"
FLOW_ID = "DF_PADIS_INDICATORS"
DIMENSIONS = ("INDICATOR", "REF_AREA", "SEX", "AGE")
SEX_LABELS = {"_T": "合计", "1": "男", "2": "女", "?": "未说明"}


def build_structure(results: pl.DataFrame):  # type: ignore[no-untyped-def]
    """The structure message (codelists, concepts, DSD, dataflow) covering the codes in ``results``."""
    from sdmx.message import StructureMessage
    from sdmx.model import common
    from sdmx.model import v21 as m

    agency = m.Agency(id=AGENCY, name="padis")

    def codelist(cid: str, codes: dict[str, str]) -> m.Codelist:
        cl = m.Codelist(id=cid, maintainer=agency, version="1.0", is_final=True, name=cid)
        for key, label in codes.items():
            cl.append(m.Code(id=key, name={"zh": label}))
        return cl

    labels = dict(results.select("indicator", "label").unique().iter_rows())
    ages = sorted(results.get_column("age").unique().to_list())
    areas = sorted(results.get_column("ref_area").unique().to_list())
    lists = {
        "INDICATOR": codelist("CL_PADIS_INDICATOR", labels),
        "REF_AREA": codelist("CL_PADIS_AREA", {a: division_name(a) for a in areas}),
        "SEX": codelist("CL_PADIS_SEX", {**SEX_LABELS, **{s: s for s in results.get_column("sex").unique()
                                                           if s not in SEX_LABELS}}),
        "AGE": codelist("CL_PADIS_AGE", {a: ("合计" if a == "_T" else a) for a in ages}),
    }
    scheme = m.ConceptScheme(id="CS_PADIS", maintainer=agency, version="1.0", is_final=True, name="CS_PADIS")
    for cid in (*DIMENSIONS, "TIME_PERIOD", "OBS_VALUE"):
        scheme.append(common.Concept(id=cid, name=cid))
    dsd = m.DataStructureDefinition(id=DSD_ID, maintainer=agency, version="1.0", is_final=True, name=DSD_ID)
    for order, dim in enumerate(DIMENSIONS):
        dsd.dimensions.append(m.Dimension(
            id=dim, concept_identity=scheme[dim], order=order,
            local_representation=common.Representation(enumerated=lists[dim])))
    dsd.dimensions.append(m.TimeDimension(id="TIME_PERIOD", concept_identity=scheme["TIME_PERIOD"],
                                          order=len(DIMENSIONS)))
    dsd.measures.append(m.PrimaryMeasure(id="OBS_VALUE", concept_identity=scheme["OBS_VALUE"]))
    flow = m.DataflowDefinition(id=FLOW_ID, maintainer=agency, version="1.0", structure=dsd, name=FLOW_ID)
    msg = StructureMessage()
    for cl in lists.values():
        msg.codelist[cl.id] = cl
    msg.concept_scheme[scheme.id] = scheme
    msg.structure[dsd.id] = dsd
    msg.dataflow[flow.id] = flow
    return msg


def _dataset(results: pl.DataFrame, structure):  # type: ignore[no-untyped-def]
    from sdmx.model import common
    from sdmx.model import v21 as m

    dsd = structure.structure[DSD_ID]
    flow = structure.dataflow[FLOW_ID]
    ds = m.StructureSpecificDataSet(structured_by=dsd, described_by=flow)
    measure = dsd.measures[0]
    rows = results.filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
    # the sdmx1 object model is one object per observation; exchange files are small aggregates
    obs = [
        m.Observation(dimension=dsd.make_key(common.Key, {
            "INDICATOR": ind, "REF_AREA": area, "SEX": sex, "AGE": age, "TIME_PERIOD": period}),
            value=float(value), value_for=measure)
        for ind, area, sex, age, period, value in rows.select(
            "indicator", "ref_area", "sex", "age", "period", "value").iter_rows()
    ]
    ds.add_obs(obs)
    return ds, flow


def write_sdmx_ml(results: pl.DataFrame, path: str | Path) -> tuple[Path, Path]:
    """Write SDMX-ML 2.1 structure-specific data to ``path`` and its structure to ``<stem>.structure.xml``."""
    import sdmx
    from sdmx.message import DataMessage

    _check(results)
    data_path = Path(path)
    data_path.parent.mkdir(parents=True, exist_ok=True)
    structure = build_structure(results)
    ds, flow = _dataset(results, structure)
    structure_path = data_path.with_name(data_path.stem + ".structure.xml")
    structure_path.write_bytes(sdmx.to_xml(structure, pretty_print=True))
    data_path.write_bytes(sdmx.to_xml(DataMessage(data=[ds], dataflow=flow), pretty_print=True))
    return data_path, structure_path


def write_sdmx_csv(results: pl.DataFrame, path: str | Path) -> tuple[Path, Path]:
    """Write SDMX-CSV (2.0) to ``path`` and the SDMX-ML structure beside it."""
    import sdmx

    _check(results)
    data_path = Path(path)
    data_path.parent.mkdir(parents=True, exist_ok=True)
    structure = build_structure(results)
    ds, _ = _dataset(results, structure)
    structure_path = data_path.with_name(data_path.stem + ".structure.xml")
    structure_path.write_bytes(sdmx.to_xml(structure, pretty_print=True))
    sdmx.to_csv(ds, path=data_path)
    return data_path, structure_path


def read_sdmx(data_path: str | Path, structure_path: str | Path) -> pl.DataFrame:
    """Read SDMX-ML or SDMX-CSV data back with sdmx1 (the DSD is required): indicator, ref_area, sex, age,
    period, value."""
    import sdmx

    structure = sdmx.read_sdmx(str(structure_path))
    dsd = structure.structure[DSD_ID]
    msg = sdmx.read_sdmx(str(data_path), structure=dsd)
    series = sdmx.to_pandas(msg.data[0])
    frame = pl.from_pandas(series.reset_index())
    return frame.select(
        pl.col("INDICATOR").alias("indicator"), pl.col("REF_AREA").alias("ref_area"),
        pl.col("SEX").alias("sex"), pl.col("AGE").alias("age"), pl.col("TIME_PERIOD").alias("period"),
        pl.col("value").cast(pl.Float64))


def _check(results: pl.DataFrame) -> None:
    need = {"indicator", "label", "ref_area", "sex", "age", "period", "value"}
    if not need <= set(results.columns):
        raise InputError("not an indicator table", where="sdmx export",
                         why=f"missing columns {sorted(need - set(results.columns))}")
