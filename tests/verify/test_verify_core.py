"""Batch verification: every result code, columnar, and the job through the API with CSV/XLSX results."""

from __future__ import annotations

import datetime as dt

import polars as pl

from padis.standards.idnumber import make_id
from padis.verify.core import verify_batch


def _register() -> pl.DataFrame:
    ids = [
        make_id("110105", dt.date(1990, 1, 2), 11),
        make_id("110105", dt.date(1980, 5, 6), 12),
        make_id("110108", dt.date(1970, 1, 1), 13),
        make_id("330102", dt.date(2001, 3, 4), 14),
    ]
    return pl.DataFrame(
        {
            "person_id": [1, 2, 3, 4],
            "id_number": ids,
            "name": ["张三", "李四", "王五", "赵六"],
            "sex": ["1", "2", "1", "2"],
            "birth_date": [
                dt.date(1990, 1, 2),
                dt.date(1980, 5, 6),
                dt.date(1970, 1, 1),
                dt.date(2001, 3, 4),
            ],
            "status": ["active", "deceased", "moved_out", "active"],
            "registered_division": ["110105", "110105", "110108", "330102"],
            "residence_division": ["110105", "110105", "110108", "330102"],
        }
    )


def test_every_result_code() -> None:
    reg = _register()
    ids = reg["id_number"].to_list()
    unknown = make_id("110105", dt.date(1999, 9, 9), 77)
    batch = pl.DataFrame(
        {
            "身份证号": [
                ids[0],
                ids[0],
                ids[0],
                ids[1],
                ids[2],
                unknown,
                ids[0][:17] + "0",
                "12345",
                ids[3],
                ids[0].lower(),
                ids[0],
            ],
            "姓名": ["张三", "张叁", "张三", "李四", "王五", "某某", "张三", "x", "赵六", "张三", "张三"],
            "出生日期": ["1990-01-02", "", "1991-01-02", "", "", "", "", "", "", "19900102", ""],
            "性别": ["男", "", "", "", "", "", "", "", "", "1", "女"],
        }
    )
    out = verify_batch(batch, reg, scopes=["110000"])
    assert out["result"].to_list() == [
        "match",
        "name_differs",
        "birth_date_differs",
        "deceased",
        "moved_out",
        "not_found",
        "id_invalid",
        "id_invalid",
        "out_of_scope",
        "match",
        "sex_differs",
    ]
    assert out["id_error"][6] == "bad_checksum" and out["id_error"][7] == "bad_length"
    assert out["row"].to_list() == list(range(1, 12))
    assert out["result_label"][0] == "一致"
    assert out["person_id"].to_list()[:5] == [1, 1, 1, 2, 3]


def test_no_scope_sees_everyone() -> None:
    reg = _register()
    batch = pl.DataFrame({"id_number": reg["id_number"], "name": reg["name"]})
    out = verify_batch(batch, reg, scopes=None)
    assert out["result"].to_list() == ["match", "deceased", "moved_out", "match"]
