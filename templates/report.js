(function () {
  "use strict";
  var body = document.body;
  var errors = [];
  function fail(message) {
    errors.push(String(message));
    body.setAttribute("data-errors", errors.join(" | "));
  }
  window.addEventListener("error", function (event) { fail(event.message); });
  var D;
  try {
    D = JSON.parse(document.getElementById("data").textContent);
  } catch (error) {
    fail("the report data does not parse: " + error);
    return;
  }
  var COLORS = ["#2e8540", "#d83933", "#f2a33a", "#8b5cf6", "#2f78c4", "#a3acb9"];
  var PLANNED = "#7b96b8";
  var CRITICAL = "#111111";

  function element(tag, content, cls) {
    var node = document.createElement(tag);
    if (content !== undefined && content !== null) node.textContent = String(content);
    if (cls) node.className = cls;
    return node;
  }
  function fillTable(table, headers, rows, numeric) {
    var head = document.createElement("thead");
    var tr = document.createElement("tr");
    headers.forEach(function (name, column) { tr.appendChild(element("th", name, numeric[column] ? "num" : "")); });
    head.appendChild(tr);
    table.appendChild(head);
    var tbody = document.createElement("tbody");
    rows.forEach(function (row) {
      var line = document.createElement("tr");
      row.forEach(function (cell, column) {
        var td = element("td", null, numeric[column] ? "num" : "wrap");
        if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell === null || cell === undefined ? "-" : String(cell);
        line.appendChild(td);
      });
      tbody.appendChild(line);
    });
    table.appendChild(tbody);
  }
  function duration(seconds) {
    if (!isFinite(seconds)) return "-";
    if (seconds < 0) return "-" + duration(-seconds);
    if (seconds < 60) return seconds.toFixed(2) + " s";
    var whole = Math.round(seconds);
    function two(value) { return value < 10 ? "0" + value : String(value); }
    if (whole < 3600) return Math.floor(whole / 60) + "m " + two(whole % 60) + "s";
    if (whole < 86400) return Math.floor(whole / 3600) + "h " + two(Math.floor(whole / 60) % 60) + "m";
    return Math.floor(whole / 86400) + "d " + two(Math.floor(whole / 3600) % 24) + "h";
  }
  function percent(ratio) { return ratio === null ? "-" : (ratio * 100).toFixed(1) + "%"; }

  document.getElementById("generated").textContent = "namespace " + D.namespace + ", read " + D.generated +
    (D.start ? ", first attempt started " + D.start : "");
  var summary = document.getElementById("summary");
  D.summary.forEach(function (pair) {
    var tr = document.createElement("tr");
    tr.appendChild(element("th", pair[0]));
    tr.appendChild(element("td", pair[1]));
    summary.appendChild(tr);
  });
  var legend = document.getElementById("legend");
  D.outcomes.forEach(function (name, code) {
    var swatch = element("span", null, "swatch");
    swatch.style.background = COLORS[code];
    legend.appendChild(swatch);
    legend.appendChild(document.createTextNode(name));
  });
  legend.appendChild(element("span", null, "swatch critical"));
  legend.appendChild(document.createTextNode("critical path taken"));

  var tooltip = document.getElementById("tooltip");
  var charts = [];
  var sharedLabel = 40;
  var pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      charts.forEach(function (chart) { chart.draw(); });
    });
  }

  // The time window both charts show, in seconds from the first start.
  var extent = 0;
  for (var i = 0; i < D.attempts.end.length; i++) extent = Math.max(extent, D.attempts.end[i]);
  if (D.planned) extent = Math.max(extent, D.planned.makespan || 0);
  if (!(extent > 0)) extent = 1;
  var full = { from: -extent * 0.01, to: extent * 1.01 };
  var view = { from: full.from, to: full.to };
  document.getElementById("reset").addEventListener("click", function () {
    view.from = full.from;
    view.to = full.to;
    redraw();
  });

  function Chart(container, model) {
    var axis = document.createElement("canvas");
    var scroll = element("div", null, "scroll");
    var canvas = document.createElement("canvas");
    scroll.appendChild(canvas);
    container.appendChild(axis);
    container.appendChild(scroll);
    var rows = model.rows.length;
    var rowHeight = rows <= 40 ? 20 : Math.max(3, Math.min(20, Math.floor(720 / rows)));
    var context = canvas.getContext("2d");
    var axisContext = axis.getContext("2d");
    context.font = "12px system-ui, sans-serif";
    var hostOf = model.rows.map(function (label) { return label.slice(0, label.lastIndexOf("/")); });
    var labelWidth = 40;
    model.rows.forEach(function (label, row) {
      var shown = rowHeight >= 12 ? label : hostOf[row];
      labelWidth = Math.max(labelWidth, context.measureText(shown).width + 14);
    });
    labelWidth = Math.min(Math.ceil(labelWidth), 240);
    // Every chart uses the widest label column, so that their time axes line up.
    sharedLabel = Math.max(sharedLabel, labelWidth);
    var count = model.start.length;
    var groups = model.colors.map(function () { return []; });
    var byRow = [];
    for (var r = 0; r < rows; r++) byRow.push([]);
    for (var index = 0; index < count; index++) {
      groups[model.color(index)].push(index);
      byRow[model.row[index]].push(index);
    }
    byRow.forEach(function (list) { list.sort(function (a, b) { return model.start[a] - model.start[b]; }); });
    var scale = 1;
    var self = this;

    this.draw = function () {
      labelWidth = sharedLabel;
      var ratio = window.devicePixelRatio || 1;
      var width = Math.max(320, container.clientWidth);
      var height = Math.max(rowHeight, rows * rowHeight);
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = width + "px";
      canvas.style.height = height + "px";
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, width, height);
      for (var row = 0; row < rows; row++) {
        if (row % 2 === 1) {
          context.fillStyle = "#f3f5f8";
          context.fillRect(labelWidth, row * rowHeight, width - labelWidth, rowHeight);
        }
      }
      scale = (width - labelWidth) / (view.to - view.from);
      var inset = rowHeight > 5 ? 1 : 0;
      var drawn = 0;
      for (var group = 0; group < groups.length; group++) {
        context.fillStyle = model.colors[group];
        var list = groups[group];
        for (var k = 0; k < list.length; k++) {
          var bar = list[k];
          var start = model.start[bar];
          var end = model.end[bar];
          if (end < view.from || start > view.to) continue;
          var x0 = labelWidth + (start - view.from) * scale;
          var x1 = labelWidth + (end - view.from) * scale;
          if (x0 < labelWidth) x0 = labelWidth;
          // A gap of one pixel between bars that touch, where they are wide enough to show it.
          var w = x1 - x0 > 3 ? x1 - x0 - 1 : Math.max(1, x1 - x0);
          context.fillRect(x0, model.row[bar] * rowHeight + inset, w, rowHeight - 2 * inset);
          drawn++;
        }
      }
      model.marks.forEach(function (mark) {
        var x = labelWidth + (mark.time - view.from) * scale;
        if (x < labelWidth || x > width) return;
        context.strokeStyle = mark.color;
        context.lineWidth = 1;
        context.setLineDash([5, 4]);
        context.beginPath();
        context.moveTo(x + 0.5, 0);
        context.lineTo(x + 0.5, height);
        context.stroke();
        context.setLineDash([]);
      });
      if (model.critical.length > 0) drawCritical(width);
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, labelWidth, height);
      context.fillStyle = "#1d2733";
      context.textBaseline = "middle";
      context.font = "12px system-ui, sans-serif";
      for (var line = 0; line < rows; line++) {
        var firstOfHost = line === 0 || hostOf[line] !== hostOf[line - 1];
        if (rowHeight >= 12) {
          context.fillText(model.rows[line], 4, line * rowHeight + rowHeight / 2);
        } else if (firstOfHost) {
          context.fillText(hostOf[line], 4, line * rowHeight + 6);
        }
        if (firstOfHost && line > 0) {
          context.fillStyle = "#c3ccd6";
          context.fillRect(0, line * rowHeight, width, 1);
          context.fillStyle = "#1d2733";
        }
      }
      drawAxis(width);
      container.setAttribute("data-drawn", String(drawn));
      self.drawn = drawn;
    };

    // The critical path: a thin dark strip along the top edge of each of its bars, so that the bars and their
    // colours stay readable below it at any zoom (hundreds of short jobs make one thin line, not a black band),
    // and a thin line for each hop from one lane to another, left out where hops are closer than a few pixels.
    function drawCritical(width) {
      var strip = rowHeight >= 12 ? 3 : (rowHeight >= 6 ? 2 : 1);
      context.fillStyle = CRITICAL;
      context.strokeStyle = CRITICAL;
      context.lineWidth = 1;
      var previous = null;
      var lastHop = -Infinity;
      model.critical.forEach(function (bar) {
        var x0 = labelWidth + (model.start[bar] - view.from) * scale;
        var x1 = labelWidth + (model.end[bar] - view.from) * scale;
        var y = model.row[bar] * rowHeight;
        if (x1 >= labelWidth && x0 <= width) {
          var left = Math.max(x0, labelWidth);
          // The same one-pixel gap as between the bars, where they are wide enough to show it.
          context.fillRect(left, y, x1 - left > 3 ? x1 - left - 1 : Math.max(1, x1 - left), strip);
        }
        if (previous !== null && previous.y !== y && x0 - lastHop >= 4 && x0 >= labelWidth && previous.x <= width) {
          context.beginPath();
          context.moveTo(Math.max(previous.x, labelWidth) + 0.5, previous.y + strip / 2);
          context.lineTo(x0 + 0.5, y + strip / 2);
          context.stroke();
          lastHop = x0;
        }
        previous = { x: x1, y: y };
      });
    }

    function drawAxis(width) {
      var ratio = window.devicePixelRatio || 1;
      axis.width = Math.round(width * ratio);
      axis.height = Math.round(24 * ratio);
      axis.style.width = width + "px";
      axis.style.height = "24px";
      axisContext.setTransform(ratio, 0, 0, ratio, 0, 0);
      axisContext.fillStyle = "#f0f3f6";
      axisContext.fillRect(0, 0, width, 24);
      var span = view.to - view.from;
      var raw = span / 8;
      var power = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
      var step = [1, 2, 5, 10].map(function (f) { return f * power; }).filter(function (s) { return s >= raw; })[0];
      if (raw > 10) {
        // Durations people count in: minutes, hours, days.
        step = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
          .filter(function (s) { return s >= raw; })[0] || step;
      }
      axisContext.fillStyle = "#1d2733";
      axisContext.font = "11px system-ui, sans-serif";
      axisContext.textBaseline = "middle";
      for (var t = Math.ceil(view.from / step) * step; t <= view.to; t += step) {
        var x = labelWidth + (t - view.from) * scale;
        axisContext.fillRect(x, 16, 1, 8);
        var tick = duration(t);
        if (x + 3 + axisContext.measureText(tick).width <= width) axisContext.fillText(tick, x + 3, 9);
      }
    }

    function hit(event) {
      var rect = canvas.getBoundingClientRect();
      var x = event.clientX - rect.left;
      var y = event.clientY - rect.top;
      if (x < labelWidth) return null;
      var row = Math.floor(y / rowHeight);
      if (row < 0 || row >= rows) return null;
      var time = view.from + (x - labelWidth) / scale;
      var slack = 3 / scale;
      var list = byRow[row];
      var low = 0;
      var high = list.length;
      while (low < high) {
        var middle = (low + high) >> 1;
        if (model.start[list[middle]] <= time + slack) low = middle + 1; else high = middle;
      }
      for (var k = low - 1; k >= 0 && k >= low - 3; k--) {
        var bar = list[k];
        if (model.end[bar] + slack >= time) return bar;
      }
      return null;
    }

    var drag = null;
    canvas.addEventListener("mousedown", function (event) {
      drag = { x: event.clientX, from: view.from, to: view.to };
      event.preventDefault();
    });
    window.addEventListener("mouseup", function () { drag = null; });
    canvas.addEventListener("mousemove", function (event) {
      if (drag) {
        var shift = (event.clientX - drag.x) / scale;
        view.from = drag.from - shift;
        view.to = drag.to - shift;
        tooltip.hidden = true;
        redraw();
        return;
      }
      var bar = hit(event);
      if (bar === null) {
        tooltip.hidden = true;
        return;
      }
      tooltip.textContent = model.describe(bar);
      tooltip.hidden = false;
      tooltip.style.left = Math.min(event.clientX + 14, window.innerWidth - 440) + "px";
      tooltip.style.top = (event.clientY + 14) + "px";
    });
    canvas.addEventListener("mouseleave", function () { tooltip.hidden = true; });
    canvas.addEventListener("wheel", function (event) {
      event.preventDefault();
      var rect = canvas.getBoundingClientRect();
      var time = view.from + (event.clientX - rect.left - labelWidth) / scale;
      var factor = event.deltaY < 0 ? 0.8 : 1.25;
      var from = time - (time - view.from) * factor;
      var to = time + (view.to - time) * factor;
      if (to - from < 0.001) return;
      view.from = from;
      view.to = to;
      redraw();
    }, { passive: false });
  }

  var A = D.attempts;
  var marks = [];
  if (D.planned) {
    marks.push({ time: D.planned.makespan, color: "#2f78c4" });
    marks.push({ time: D.planned.lowerBound, color: "#8b5cf6" });
  }
  var actual = new Chart(document.getElementById("actual"), {
    rows: D.rows.length > 0 ? D.rows : ["(no attempts)"],
    start: A.start, end: A.end, row: A.row,
    colors: COLORS,
    color: function (index) { return A.outcome[index]; },
    critical: D.critical,
    marks: marks,
    describe: function (index) {
      var lines = [D.jobs[A.job[index]], "attempt " + A.number[index] + ": " + D.outcomes[A.outcome[index]] +
        " on " + D.rows[A.row[index]],
        "start +" + duration(A.start[index]) + ", end +" + duration(A.end[index]) +
        ", " + duration(A.end[index] - A.start[index])];
      if (A.reasons[String(index)]) lines.push(A.reasons[String(index)]);
      if (D.critical.indexOf(index) >= 0) lines.push("on the critical path taken");
      return lines.join("\n");
    }
  });
  charts.push(actual);

  var note = document.getElementById("planned-note");
  if (D.planned) {
    var P = D.planned;
    note.textContent = "The plan, on the same time axis: one row per planned slot. Dashed lines: the planned " +
      "makespan (" + duration(P.makespan) + ", blue) and the lower bound (" + duration(P.lowerBound) +
      ", violet). Its critical path is marked by a dark line along the top of its bars.";
    charts.push(new Chart(document.getElementById("planned"), {
      rows: P.rows, start: P.start, end: P.end, row: P.row,
      colors: [PLANNED],
      color: function () { return 0; },
      critical: P.critical,
      marks: marks,
      describe: function (index) {
        return P.job[index] + "\nplanned on " + P.rows[P.row[index]] + "\nstart +" + duration(P.start[index]) +
          ", end +" + duration(P.end[index]) + ", " + duration(P.end[index] - P.start[index]);
      }
    }));
  } else {
    note.textContent = "No plan was given. Run clustmake report --plan DIR (the run's plan directory) " +
      "to draw the planned schedule here and compare the makespans.";
    document.getElementById("planned").hidden = true;
  }

  fillTable(document.getElementById("hosts"),
    ["host", "lanes", "slots", "jobs", "attempts", "failures", "busy", "utilisation", "planned jobs", "planned busy"],
    D.hosts.map(function (host) {
      var cell = document.createElement("span");
      var bar = element("span", null, "bar");
      var fill = document.createElement("span");
      fill.style.width = Math.min(100, (host.utilisation || 0) * 100) + "%";
      bar.appendChild(fill);
      cell.appendChild(bar);
      cell.appendChild(document.createTextNode(percent(host.utilisation)));
      return [host.host, host.lanes, host.slots, host.jobs, host.attempts, host.failures, host.busy, cell,
        host.plannedJobs, host.plannedBusy];
    }),
    [false, true, true, true, true, true, true, false, true, true]);
  fillTable(document.getElementById("slowest"), ["job", "host", "runtime", "cpu", "peak rss", "attempts"],
    D.slowest.map(function (job) { return [job.job, job.host, job.runtime, job.cpu, job.rss, job.attempts]; }),
    [false, false, true, true, true, true]);
  document.getElementById("failure-note").textContent = D.failureNote;
  if (D.failureCount > 0) {
    fillTable(document.getElementById("failures"), ["job", "state", "attempt", "host", "reason", "last stderr line"],
      D.failures.map(function (f) { return [f.job, f.state, f.attempt, f.host, f.reason, f.stderr]; }),
      [false, false, true, false, false, false]);
  }

  window.addEventListener("resize", redraw);
  charts.forEach(function (chart) { chart.draw(); });
  body.setAttribute("data-bars", String(actual.drawn));
  if (errors.length === 0) body.setAttribute("data-rendered", "ok");
})();
