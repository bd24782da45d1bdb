"""Dashboard routes without a browser: pages, drill-down partials and chart data from the cache."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


@pytest.fixture
def client(hand, tmp_path, monkeypatch):
    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "home"))
    from padis.settings import get_settings

    get_settings.cache_clear()
    from padis.stats import views
    from padis.stats.cache import refresh

    refresh(hand, "2019-2020,2020R")
    app = FastAPI()
    app.include_router(views.router)
    for dep in views.router.dependencies:
        app.dependency_overrides[dep.dependency] = lambda: None
    yield TestClient(app)
    get_settings.cache_clear()


def test_empty_cache_page(tmp_path, monkeypatch):
    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "empty"))
    from padis.settings import get_settings

    get_settings.cache_clear()
    from padis.stats import views

    app = FastAPI()
    app.include_router(views.router)
    for dep in views.router.dependencies:
        app.dependency_overrides[dep.dependency] = lambda: None
    r = TestClient(app).get("/stats")
    assert r.status_code == 200 and "暂无统计数据" in r.text
    get_settings.cache_clear()


def test_pages_and_drill_down(client):
    r = client.get("/stats")
    assert r.status_code == 200
    assert 'data-code="110000"' in r.text and "/static/vendor/echarts.min.js" in r.text
    r = client.get("/stats/panel?division=110000&period=2020", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    assert 'data-code="110100"' in r.text and 'data-code="110200"' in r.text
    r = client.get("/stats/panel?division=110100&period=2020", headers={"HX-Request": "true"})
    assert 'data-code="110101"' in r.text and 'data-code="110201"' not in r.text
    assert client.get("/stats?division=abc").status_code == 422


def test_chart_data(client):
    pyr = client.get("/stats/api/pyramid?division=110000&period=2020").json()
    assert sum(pyr["male"]) + sum(pyr["female"]) == 11
    trend = client.get("/stats/api/trend?division=110000").json()
    assert trend["periods"] == ["2019", "2020"]
    assert trend["series"]["CBR"]["data"][1] == pytest.approx(300.0)
    rank = client.get("/stats/api/ranking?division=000000&period=2020&indicator=POP").json()
    assert rank["codes"] == ["110000"] and rank["values"] == [11]
    proj = client.get("/stats/api/projection?division=110000").json()
    assert len(proj["years"]) == 31 and set(proj["scenarios"]) == {"TFR 1.0", "TFR 1.3", "TFR 1.6"}


def test_rates_on_few_events_are_marked(client):
    from padis.stats.views import _few_events

    # the hand-made register has four births: every birth-based rate is marked, with the footnote
    r = client.get("/stats/panel?division=110000&period=2020", headers={"HX-Request": "true"})
    assert 'class="few"' in r.text and "基于不足 20 个" in r.text
    assert _few_events({"CBR": 7.9, "CBR#n": 25, "SRB": 108.0, "BIRTHS": 25, "DEATHS": 30, "NGR": -0.4}) == []
    assert _few_events({"CBR": 1.2, "CBR#n": 5, "SRB": 150.0, "BIRTHS": 5, "CDR": 9.0, "CDR#n": 40}) == [
        "CBR", "SRB"]
    assert _few_events({"POP": 12.0, "POP#n": 12}) == []  # counts are never marked
