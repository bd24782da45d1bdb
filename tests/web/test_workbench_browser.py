"""The steward's workbench in Chromium: htmx decisions replace the row in place; the batches page links the
quarantine workbook."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from padis.standards.idnumber import make_id

from .conftest import SCREENSHOTS, padis_home, serving

STEWARD, PASSWORD = "steward1", "steward-pass-1"


def _two_people(names: list[str]):  # type: ignore[no-untyped-def]
    """Two Beijing persons as an agency file with dictionary columns, under ``names``."""
    import polars as pl

    return pl.DataFrame(
        {
            "id_number": [
                make_id("110101", dt.date(1980, 5, 1), 11),
                make_id("110101", dt.date(1982, 7, 9), 12),
            ],
            "name": names,
            "sex": ["1", "2"],
            "birth_date": ["1980-05-01", "1982-07-09"],
            "ethnicity": ["01", "01"],
            "marital_status": ["10", "20"],
            "hukou_type": ["10", "10"],
            "registered_division": ["110101", "110101"],
            "status": ["active", "active"],
        }
    )


@pytest.fixture(scope="module")
def workbench(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    """An app on a register where human resources disagrees with public security about two names."""
    import polars as pl

    from padis.api.app import create_app
    from padis.collect.service import collect_file
    from padis.security.users import add_user
    from padis.store.engine import make_engine

    root = tmp_path_factory.mktemp("workbench")
    with padis_home(root, sqlite_template) as url:
        engine = make_engine(url)
        people = _two_people(["王伟", "李娜"])
        people.write_csv(root / "ps.csv")
        people.with_columns(name=pl.Series(["王二", "李四"])).write_csv(root / "hrss.csv")
        collect_file(engine, root / "ps.csv", "public_security", record="person")
        collect_file(engine, root / "hrss.csv", "hrss", record="person")
        add_user(engine, STEWARD, PASSWORD, "data_steward")
        _queue_pair(engine)
        engine.dispose()
        with serving(create_app(url, audit_sync=True)) as base:
            yield base


def _queue_pair(engine) -> None:  # type: ignore[no-untyped-def]
    """An uncertain pair for clerical review: public security's records of the two persons."""
    from sqlalchemy import text

    with engine.begin() as conn:
        ids = [
            str(r[0])
            for r in conn.execute(
                text(
                    "SELECT record_id FROM source_record WHERE agency = 'public_security' ORDER BY record_id"
                )
            )
        ]
        conn.execute(
            text(
                "INSERT INTO linkage_review (source_l, record_id_l, source_r, record_id_r, "
                "match_probability, match_weight, detail, status, created_at) VALUES ('source_record', :l, "
                "'source_record', :r, 0.41, -0.5, :d, 'pending', CURRENT_TIMESTAMP)"
            ),
            {"l": ids[0], "r": ids[1], "d": '{"name": {"level": "不同 different", "weight": -10.0}}'},
        )


def _signed_in(browser, workbench: str, errors: list[str]):  # type: ignore[no-untyped-def]
    """A page signed in as the steward, on the conflict queue, collecting page errors and 4xx/5xx."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response", lambda res: errors.append(f"HTTP {res.status}: {res.url}") if res.status >= 400 else None
    )
    page.goto(f"{workbench}/login?next=/register/conflicts")
    page.fill("#username", STEWARD)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{workbench}/register/conflicts")
    return context, page


def test_decisions_swap_the_row_in_place(browser, workbench) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    context, page = _signed_in(browser, workbench, errors)
    rows = page.locator("#conflicts tbody tr")
    assert rows.count() == 2
    first = rows.nth(0)
    assert "王二" in first.inner_text()
    first.locator("input[name=note]").fill("派出所核实")
    first.locator("button[value=accept]").click()
    page.wait_for_selector("#conflicts tbody tr >> nth=0 >> .decision")
    assert "已采纳" in rows.nth(0).inner_text() and "steward1" in rows.nth(0).inner_text()
    rows.nth(1).locator("button[value=reject]").click()
    page.wait_for_selector("#conflicts tbody tr >> nth=1 >> .decision")
    assert "已驳回" in rows.nth(1).inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "workbench-conflicts.png"), full_page=True)
    rows.nth(0).locator("a").click()
    page.wait_for_selector("#golden")
    assert "王二" in page.inner_text("#golden") and page.locator("#history tbody tr").count() == 2
    assert "姓名 王二" in page.inner_text("#history")
    page.screenshot(path=str(SCREENSHOTS / "workbench-person.png"), full_page=True)
    page.goto(f"{workbench}/register/conflicts")
    assert "没有待处理的冲突" in page.inner_text("main")
    page.click("text=采集批次")
    page.wait_for_url(f"{workbench}/register/batches")
    assert page.locator("#batches tbody tr").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "workbench-batches.png"), full_page=True)
    page.click("text=数据质量")
    page.wait_for_url(f"{workbench}/register/quality")
    assert page.locator("#deliveries tbody tr").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "workbench-quality.png"), full_page=True)
    assert errors == []
    context.close()


def test_upload_a_handed_over_file_then_return_its_conflicts_at_once(  # type: ignore[no-untyped-def]
    browser, workbench, tmp_path
) -> None:
    """The multipart upload and the confirmed bulk form work through htmx in a real browser."""

    errors: list[str] = []
    context, page = _signed_in(browser, workbench, errors)
    handed = tmp_path / "人社局 12月.csv"
    _two_people(["王小二", "李小四"]).write_csv(handed)
    page.goto(f"{workbench}/register/batches")
    page.select_option("select[name=layout]", label="人力资源和社会保障 · 全员人口个案（批次 2）")
    page.set_input_files("input[name=file]", str(handed))
    page.click("form[hx-post='/register/batches/upload'] button")
    page.wait_for_selector("#upload-result p")
    assert "入库 2 行，隔离 0 行" in page.inner_text("#upload-result")
    page.goto(f"{workbench}/register/conflicts?field=name&agency=hrss")
    # How many depends on what the other test decided first (if it ran on this worker): read it off the page.
    found = re.search(r"筛选出的 (\d+) 条", page.inner_text("main"))
    assert found and int(found.group(1)) >= 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('全部退回')")
    page.wait_for_selector("#bulk-result strong")
    assert "已退回" in page.inner_text("#bulk-result")
    assert f"{found.group(1)} 条冲突" in page.inner_text("#bulk-result")
    page.goto(f"{workbench}/register/conflicts?field=name&agency=hrss")
    assert "没有待处理的冲突" in page.inner_text("main")
    assert errors == []
    context.close()


def test_clerical_review_decides_a_pair_and_applies_it(browser, workbench) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    context, page = _signed_in(browser, workbench, errors)
    page.click("text=关联复核")
    page.wait_for_url(f"{workbench}/register/review")
    row = page.locator("#reviews tbody tr").nth(0)
    assert (
        "王伟" in row.inner_text()
        and "李娜" in row.inner_text()
        and "姓名：不同 different" in row.inner_text()
    )
    row.locator("button[value=reject]").click()
    page.wait_for_selector("#reviews tbody tr >> nth=0 >> .decision")
    assert "不是同一人" in page.locator("#reviews tbody tr").nth(0).inner_text()
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('应用到登记库')")
    page.wait_for_selector("#relink-result p")
    # this register was joined by identity number, not linked by Splink: the page says what to run
    assert "padis link register" in page.inner_text("#relink-result")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "workbench-review.png"), full_page=True)
    assert errors == []
    context.close()
