// 效能统计: the charts of the statistics page, drawn by Apache ECharts (served from node_modules).
// The page's tables and links work without it; the charts only add the picture.
(function () {
  "use strict";
  var source = document.getElementById("figures-data");
  if (!source || !window.echarts) { return; }
  var figures = JSON.parse(source.textContent);
  var percent = function (v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; };
  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var chart = window.echarts.init(node, null, { renderer: "svg" });
    chart.setOption(option);
    node.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var weeks = figures.weekly;
  draw("chart-weekly", {
    title: { text: "每周趋势", left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" }, legend: { bottom: 0, data: ["收件", "办结", "按时办结率"] },
    xAxis: { type: "category", data: weeks.map(function (w) { return w.week_start; }) },
    yAxis: [{ type: "value", name: "件" }, { type: "value", name: "%", min: 0, max: 100 }],
    series: [
      { name: "收件", type: "bar", data: weeks.map(function (w) { return w.received; }) },
      { name: "办结", type: "bar", data: weeks.map(function (w) { return w.completed; }) },
      { name: "按时办结率", type: "line", yAxisIndex: 1, data: weeks.map(function (w) { return percent(w.on_time_rate); }) }
    ]
  });
  draw("chart-gauge", {
    title: { text: "按时办结率", left: "center", textStyle: { fontSize: 14 } },
    series: [{ type: "gauge", min: 0, max: 100, detail: { formatter: "{value}%" },
               data: [{ value: percent(figures.on_time_rate) || 0, name: "按时" }] }]
  });
  var departments = figures.by_department;
  draw("chart-departments", {
    title: { text: "各部门", left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" }, legend: { bottom: 0, data: ["收件", "办结", "在办", "在办超期"] },
    grid: { left: 120 },
    yAxis: { type: "category", data: departments.map(function (d) { return d.department_name; }) },
    xAxis: { type: "value" },
    series: [
      { name: "收件", type: "bar", data: departments.map(function (d) { return d.received; }) },
      { name: "办结", type: "bar", data: departments.map(function (d) { return d.completed; }) },
      { name: "在办", type: "bar", data: departments.map(function (d) { return d.open; }) },
      { name: "在办超期", type: "bar", data: departments.map(function (d) { return d.overdue_open; }) }
    ]
  });
  var items = figures.by_item.filter(function (i) { return i.avg_working_days !== null; }).slice(0, 15);
  draw("chart-limits", {
    title: { text: "平均用时与时限（工作日）", left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" }, legend: { bottom: 0, data: ["平均用时", "承诺时限", "法定时限"] },
    xAxis: { type: "category", data: items.map(function (i) { return i.item_name; }), axisLabel: { rotate: 30 } },
    yAxis: { type: "value" },
    series: [
      { name: "平均用时", type: "bar", data: items.map(function (i) { return i.avg_working_days; }) },
      { name: "承诺时限", type: "line", data: items.map(function (i) { return i.promised_limit; }) },
      { name: "法定时限", type: "line", data: items.map(function (i) { return i.statutory_limit; }) }
    ]
  });
}());
