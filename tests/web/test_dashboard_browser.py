"""The dashboard in real headless Chromium: pages load without console errors, charts render, drill-down
works; screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
CHARTS = ("chart-pyramid", "chart-trend", "chart-ranking", "chart-projection")


def _charts_ready(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("body[data-charts=ready]", timeout=20_000)


def _series_counts(page) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """(ids) => Object.fromEntries(ids.map((id) => {
             const c = window.padisCharts[id];
             const opt = c ? c.getOption() : null;
             const filled = (s) => (s.data || []).filter((v) => v != null).length;
             const n = opt ? opt.series.reduce((acc, s) => acc + filled(s), 0) : 0;
             return [id, n];
           }))""", list(CHARTS))


def _canvas_painted(page, chart_id: str) -> bool:  # type: ignore[no-untyped-def]
    """True once the chart's canvas has pixels drawn (waits out the ECharts entry animation)."""
    page.wait_for_function(
        """(id) => {
             const canvas = document.querySelector('#' + id + ' canvas');
             if (!canvas || canvas.width === 0) return false;
             const ctx = canvas.getContext('2d');
             const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
             let painted = 0;
             for (let i = 3; i < data.length; i += 4 * 97) if (data[i] > 0) painted++;
             return painted > 50;
           }""", arg=chart_id, timeout=15_000)
    return True


def test_login_required(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/stats")
    assert "/login" in page.url
    context.close()


def test_dashboard_loads_and_charts_render(page, server, screenshots):
    _charts_ready(page)
    assert page.locator("h1").inner_text().startswith("人口信息平台")
    assert page.locator("#indicator-table tbody tr").count() == 2        # Beijing and Hebei
    counts = _series_counts(page)
    assert all(n > 0 for n in counts.values()), counts
    assert counts["chart-pyramid"] >= 30                                # 2 sexes × ≥ 15 age groups
    for chart_id in CHARTS:
        assert _canvas_painted(page, chart_id), chart_id
    assert page.locator("#flag-table tr.flagged").count() >= 1
    page.screenshot(path=str(screenshots / "stats-dashboard.png"), full_page=True)
    assert page.console_errors == []


def test_drill_down_province_to_county(page, server, screenshots):
    _charts_ready(page)
    page.click("#indicator-table tbody tr[data-code='130000'] a")
    page.wait_for_selector("#state[data-division='130000']", state="attached")
    _charts_ready(page)
    codes = page.locator("#indicator-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.code)")
    assert codes and all(c.startswith("13") and c.endswith("00") for c in codes)
    assert "河北省" in page.locator(".crumbs").inner_text()
    first = codes[0]
    page.click(f"#indicator-table tbody tr[data-code='{first}'] a")
    page.wait_for_selector(f"#state[data-division='{first}']", state="attached")
    _charts_ready(page)
    counties = page.locator("#indicator-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.code)")
    assert counties and all(c.startswith(first[:4]) and not c.endswith("00") for c in counties)
    assert page.locator("#indicator-table tbody tr a").count() == 0     # counties are the lowest level
    assert all(n > 0 for n in _series_counts(page).values())
    assert f"division={first}" in page.url
    page.screenshot(path=str(screenshots / "stats-drilldown-prefecture.png"), full_page=True)
    assert page.console_errors == []


def test_period_switch_and_ranking_select(page, server):
    _charts_ready(page)
    page.select_option("select[name=period]", "2025R")
    page.wait_for_selector("#state[data-period='2025R']", state="attached")
    _charts_ready(page)
    page.select_option("#rank-indicator", "TFR")
    page.wait_for_function(
        "() => window.padisCharts['chart-ranking'].getOption().series[0].name === '总和生育率'")
    assert page.console_errors == []


def test_province_tile_map_colours_provinces_and_drills_down(page, server, screenshots):
    _charts_ready(page)
    tiles = page.evaluate(
        """() => {
             const opt = window.padisCharts['chart-map'].getOption();
             return opt.series.flatMap((s) => s.data.map((t) => [t.name, t.code, t.value[2], s.name]));
           }""")
    assert len(tiles) == 34                                              # every provincial unit has a tile
    with_data = {name: code for name, code, _, _ in tiles if code}
    assert with_data == {"北京": "110000", "河北": "130000"}            # the synthetic node's provinces
    assert _canvas_painted(page, "chart-map")
    page.screenshot(path=str(screenshots / "stats-tile-map.png"), full_page=True)
    page.select_option("#rank-indicator", "TFR")
    page.wait_for_function(
        "() => window.padisCharts['chart-map'].getOption().series[0].name === '总和生育率'")
    # Clicking Hebei's tile drills down like the table link does.
    page.evaluate(
        """() => {
             const c = window.padisCharts['chart-map'];
             const s = c.getOption().series[0];
             const i = s.data.findIndex((t) => t.code === '130000');
             c.trigger('click', { data: s.data[i] });
           }""")
    page.wait_for_selector("#state[data-division='130000']", state="attached")
    _charts_ready(page)
    assert page.locator("#chart-map").count() == 0                       # no map below the node level
    assert "division=130000" in page.url
    assert page.console_errors == []
