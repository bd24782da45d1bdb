// Dashboard charts: read the division and period from #state, fetch JSON, draw with ECharts (served locally).
(function () {
  "use strict";
  const charts = {};
  window.padisCharts = charts;

  function chart(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    const old = echarts.getInstanceByDom(el);
    if (old) old.dispose();
    charts[id] = echarts.init(el, null, { renderer: "canvas" });
    return charts[id];
  }

  async function getJSON(url) {
    const res = await fetch(url, { credentials: "same-origin" });
    if (!res.ok) throw new Error(url + " → " + res.status);
    return res.json();
  }

  function pyramid(state) {
    return getJSON(`/stats/api/pyramid?division=${state.division}&period=${state.period}`).then((d) => {
      const c = chart("chart-pyramid");
      if (!c) return;
      c.setOption({
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
                   valueFormatter: (v) => Math.abs(v).toLocaleString("zh-CN") },
        legend: { data: ["男", "女"] },
        grid: { left: 60, right: 20, top: 30, bottom: 30 },
        xAxis: { type: "value", axisLabel: { formatter: (v) => Math.abs(v).toLocaleString("zh-CN") } },
        yAxis: { type: "category", data: d.ages, axisTick: { show: false } },
        series: [
          { name: "男", type: "bar", stack: "p", data: d.male.map((v) => -v), itemStyle: { color: "#3b7dd8" } },
          { name: "女", type: "bar", stack: "p", data: d.female, itemStyle: { color: "#e0607e" } },
        ],
      });
    });
  }

  function trend(state) {
    return getJSON(`/stats/api/trend?division=${state.division}`).then((d) => {
      const c = chart("chart-trend");
      if (!c) return;
      const codes = Object.keys(d.series);
      c.setOption({
        tooltip: { trigger: "axis" },
        legend: { data: codes.map((k) => d.series[k].label) },
        grid: { left: 50, right: 50, top: 40, bottom: 30 },
        xAxis: { type: "category", data: d.periods },
        yAxis: [{ type: "value", name: "‰" }, { type: "value", name: "总和生育率", splitLine: { show: false } }],
        series: codes.map((k) => ({
          name: d.series[k].label, type: "line", data: d.series[k].data, connectNulls: true,
          yAxisIndex: k === "TFR" ? 1 : 0, symbolSize: 7,
        })),
      });
    });
  }

  function ranking(state) {
    const select = document.getElementById("rank-indicator");
    const indicator = select ? select.value : "CBR";
    return getJSON(`/stats/api/ranking?division=${state.division}&period=${state.period}&indicator=${indicator}`)
      .then((d) => {
        const c = chart("chart-ranking");
        if (!c) return;
        const n = d.names.length;
        c.setOption({
          tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
          grid: { left: 110, right: 30, top: 10, bottom: 30 },
          xAxis: { type: "value", name: d.unit },
          yAxis: { type: "category", data: d.names.slice().reverse(), axisLabel: { interval: 0 } },
          dataZoom: n > 15 ? [{ type: "slider", yAxisIndex: 0, start: 100 - Math.round(1500 / n), end: 100 }] : [],
          series: [{ name: d.label, type: "bar", data: d.values.slice().reverse(), itemStyle: { color: "#2f9e77" } }],
        });
      });
  }

  function projection(state) {
    return getJSON(`/stats/api/projection?division=${state.division}`).then((d) => {
      const c = chart("chart-projection");
      if (!c) return;
      const names = Object.keys(d.scenarios);
      c.setOption({
        tooltip: { trigger: "axis", valueFormatter: (v) => Math.round(v).toLocaleString("zh-CN") },
        legend: { data: names.map((n) => n.replace("TFR", "总和生育率")) },
        grid: { left: 70, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: d.years },
        yAxis: { type: "value", scale: true, name: "人" },
        series: names.map((n) => ({ name: n.replace("TFR", "总和生育率"), type: "line", showSymbol: false,
                                     data: d.scenarios[n] })),
      });
    });
  }

  function render() {
    const el = document.getElementById("state");
    if (!el || typeof echarts === "undefined") return;
    const state = { division: el.dataset.division, period: el.dataset.period };
    window.padisChartsReady = Promise.all([pyramid(state), trend(state), ranking(state), projection(state)])
      .then(() => { document.body.dataset.charts = "ready"; });
    const select = document.getElementById("rank-indicator");
    if (select) select.addEventListener("change", () => ranking(state));
  }

  document.addEventListener("DOMContentLoaded", render);
  document.body && document.body.addEventListener("htmx:afterSettle", (e) => {
    if (e.target && e.target.id === "panel") { document.body.dataset.charts = ""; render(); }
  });
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
})();
