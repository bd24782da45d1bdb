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

  // The children ranked by the selected indicator: one fetch feeds the ranking bars and the tile map.
  function ranked(state) {
    const select = document.getElementById("rank-indicator");
    const indicator = select ? select.value : "CBR";
    return getJSON(`/stats/api/ranking?division=${state.division}&period=${state.period}&indicator=${indicator}`)
      .then((d) => { ranking(d); tilemap(d, state); });
  }

  function ranking(d) {
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
  }

  // A tile grid of the provinces (GB/T 2260 two-digit codes) at their rough relative positions:
  // a schematic map that needs no boundary data (none may be downloaded here).
  const TILES = {
    "23": [7, 0, "黑龙江"], "15": [5, 1, "内蒙古"], "11": [6, 1, "北京"], "22": [7, 1, "吉林"],
    "65": [0, 2, "新疆"], "62": [2, 2, "甘肃"], "64": [3, 2, "宁夏"], "14": [4, 2, "山西"],
    "13": [5, 2, "河北"], "12": [6, 2, "天津"], "21": [7, 2, "辽宁"],
    "63": [1, 3, "青海"], "61": [3, 3, "陕西"], "41": [4, 3, "河南"], "37": [5, 3, "山东"],
    "54": [0, 4, "西藏"], "51": [2, 4, "四川"], "50": [3, 4, "重庆"], "42": [4, 4, "湖北"],
    "34": [5, 4, "安徽"], "32": [6, 4, "江苏"], "31": [7, 4, "上海"],
    "52": [2, 5, "贵州"], "43": [3, 5, "湖南"], "36": [4, 5, "江西"], "33": [5, 5, "浙江"],
    "53": [1, 6, "云南"], "45": [2, 6, "广西"], "44": [3, 6, "广东"], "35": [4, 6, "福建"], "71": [5, 6, "台湾"],
    "46": [3, 7, "海南"], "81": [4, 7, "香港"], "82": [5, 7, "澳门"],
  };

  function tilemap(d, state) {
    const c = chart("chart-map");
    if (!c) return;
    const byProvince = {};
    d.codes.forEach((code, i) => { byProvince[code.slice(0, 2)] = { code, value: d.values[i] }; });
    const tiles = Object.entries(TILES).map(([p, [x, y, name]]) => {
      const hit = byProvince[p];
      return { value: [x, y, hit ? hit.value : null], name, code: hit ? hit.code : null };
    });
    const data = tiles.filter((t) => t.code);
    const empty = tiles.filter((t) => !t.code).map((t) => ({ ...t, value: [t.value[0], t.value[1], 0] }));
    const values = d.values.length ? d.values : [0];
    c.setOption({
      tooltip: { formatter: (p) => `${p.data.name}<br>${d.label}：${p.data.value[2] == null ? "无数据"
        : p.data.value[2].toLocaleString("zh-CN")} ${d.unit || ""}` },
      grid: { left: 10, right: 10, top: 10, bottom: 50 },
      xAxis: { type: "category", data: [0, 1, 2, 3, 4, 5, 6, 7], show: false },
      yAxis: { type: "category", data: [0, 1, 2, 3, 4, 5, 6, 7], inverse: true, show: false },
      visualMap: { min: Math.min(...values), max: Math.max(...values), calculable: true, orient: "horizontal",
                   left: "center", bottom: 0, text: [d.label, ""], inRange: { color: ["#d6ecff", "#1f5fa8"] },
                   seriesIndex: 0 },
      series: [{
        name: d.label, type: "heatmap", data, itemStyle: { borderColor: "#fff", borderWidth: 2 },
        label: { show: true, formatter: (p) => p.data.name, fontSize: 11 },
        emphasis: { itemStyle: { borderColor: "#333" } },
      }, {
        name: "无数据", type: "heatmap", data: empty,
        itemStyle: { color: "#eceff3", borderColor: "#fff", borderWidth: 2 },
        label: { show: true, formatter: (p) => p.data.name, fontSize: 11, color: "#9aa3ad" },
        tooltip: { formatter: (p) => `${p.data.name}<br>无数据` },
      }],
    });
    c.on("click", (p) => {
      if (!p.data.code || typeof htmx === "undefined") return;
      const url = `/stats/panel?division=${p.data.code}&period=${state.period}`;
      htmx.ajax("GET", url, { target: "#panel" }).then(() =>
        history.pushState({}, "", `/stats?division=${p.data.code}&period=${state.period}`));
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
    window.padisChartsReady = Promise.all([pyramid(state), trend(state), ranked(state), projection(state)])
      .then(() => { document.body.dataset.charts = "ready"; });
    const select = document.getElementById("rank-indicator");
    if (select) select.addEventListener("change", () => ranked(state));
  }

  document.addEventListener("DOMContentLoaded", render);
  document.body && document.body.addEventListener("htmx:afterSettle", (e) => {
    if (e.target && e.target.id === "panel") { document.body.dataset.charts = ""; render(); }
  });
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
})();
