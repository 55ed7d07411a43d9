// The page's drawing script (plain browser JavaScript, run once on load): uPlot line charts for the
// curves, the batch loss, the learning rate and the scatter plots; an SVG heat map for the
// confusion matrix; canvases for the images and filters. It reads the JSON in #report-data and
// fills each element with a data-draw attribute.
export const CHARTS_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var SPLIT_COLORS = { training: '#2563eb', validation: '#ea580c', test: '#16a34a' };
  /** Whole epochs on the x axis. */
  var EPOCH_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
  var AXIS = { stroke: '#475569', grid: { stroke: '#e2e8f0', width: 1 }, ticks: { stroke: '#cbd5e1', width: 1 } };

  function axis(label, extra) {
    var a = { label: label, stroke: AXIS.stroke, grid: AXIS.grid, ticks: AXIS.ticks, labelSize: 20, font: '12px system-ui, sans-serif', labelFont: '600 12px system-ui, sans-serif' };
    for (var k in extra || {}) a[k] = extra[k];
    return a;
  }

  /** Tick labels with as many digits as the ticks need (0.0015, not 0.002 twice). */
  function ticks(u, splits) {
    return splits.map(function (v) {
      if (v === null || v === undefined) return '';
      var a = Math.abs(v);
      if (a !== 0 && (a < 1e-4 || a >= 1e6)) return v.toExponential(1);
      return String(Number(v.toPrecision(6)));
    });
  }

  /** A log axis: ticks and grid lines at the powers of ten (and at 2x and 5x over two decades or less). */
  function powersOfTen(u, axisIdx, min, max) {
    var out = [];
    var steps = Math.log10(max / min) <= 2 ? [1, 2, 5] : [1];
    for (var e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      steps.forEach(function (m) {
        var v = m * Math.pow(10, e);
        if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
      });
    }
    return out;
  }

  function widthOf(node) {
    return Math.max(260, Math.floor(node.getBoundingClientRect().width));
  }

  /** A uPlot chart of series over x; every series { label, values, color, width, points, dash }. */
  function lineChart(node, x, series, opts) {
    var colors = [];
    var cfg = {
      width: widthOf(node),
      height: opts.height || 250,
      scales: { x: { time: false }, y: opts.y || {} },
      axes: [axis(opts.xLabel, opts.xIncrs ? { incrs: opts.xIncrs, values: ticks } : { values: ticks }), axis(opts.yLabel, opts.y && opts.y.distr === 3 ? { size: 64, values: ticks, splits: powersOfTen } : { size: 64, values: ticks })],
      series: [{ label: opts.xLabel }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    if (opts.x) cfg.scales.x = opts.x;
    series.forEach(function (s) {
      colors.push(s.color);
      var one = { label: s.label, stroke: s.color, width: s.width || 2, spanGaps: true, points: { show: !!s.points, size: 5, fill: s.color, stroke: s.color } };
      if (s.dash) one.dash = s.dash;
      if (s.pointsOnly) {
        one.paths = function () { return null; };
        one.points = { show: true, size: 4, fill: s.color, stroke: s.color, width: 0 };
      }
      cfg.series.push(one);
    });
    node.setAttribute('data-colors', colors.join(','));
    return new uPlot(cfg, [x].concat(series.map(function (s) { return s.values; })), node);
  }

  function curve(node, i) {
    var c = data.curves.charts[i];
    var x = data.curves.epochs;
    lineChart(node, x, c.series.map(function (s) {
      return { label: s.label, values: s.values, color: SPLIT_COLORS[s.label] || '#334155', points: x.length <= 40 };
    }), { xLabel: 'epoch', yLabel: c.title, xIncrs: EPOCH_INCRS, x: { time: false, range: function (u, lo, hi) { return [Math.min(lo, 1), Math.max(hi, lo + 1)]; } } });
  }

  function batches(node) {
    var b = data.batches;
    // a log scale when it can: the first batches' loss would flatten the rest
    var positive = b.loss.every(function (v) { return v > 0; });
    lineChart(node, b.x, [
      { label: 'batch loss', values: b.loss, color: '#93c5fd', width: 1 },
      { label: 'moving average', values: b.smooth, color: '#1e3a8a', width: 2 },
    ], { xLabel: 'epoch', yLabel: positive ? 'loss (log scale)' : 'loss', xIncrs: [0.1, 0.25, 0.5].concat(EPOCH_INCRS), y: positive ? { distr: 3 } : {} });
  }

  function lr(node) {
    var x = data.curves.epochs;
    lineChart(node, x, [{ label: 'learning rate', values: data.curves.lr, color: '#7c3aed', points: x.length <= 40 }], { xLabel: 'epoch', yLabel: 'learning rate', xIncrs: EPOCH_INCRS });
  }

  function scatter(node, which) {
    var col = which === 'autoencoder' ? data.autoencoder.scatter : data.regressor.columns[Number(which)];
    var lo = Infinity, hi = -Infinity;
    col.truth.concat(col.predicted).forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; });
    var pad = (hi - lo) * 0.04 || 1;
    var range = [lo - pad, hi + pad];
    lineChart(node, col.truth, [
      { label: 'predicted', values: col.predicted, color: '#3b82f6', pointsOnly: true },
      { label: 'perfect', values: col.truth, color: '#94a3b8', width: 1.5, dash: [6, 4] },
    ], { xLabel: 'true', yLabel: 'predicted', height: 300, x: { time: false, range: range }, y: { range: range } });
  }

  /** Blues from #f7fbff (0) to #08306b (1). */
  function blues(t) {
    var stops = [[247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];
    var p = Math.max(0, Math.min(1, t)) * (stops.length - 1);
    var i = Math.min(stops.length - 2, Math.floor(p));
    var f = p - i;
    var c = [0, 1, 2].map(function (k) { return Math.round(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f); });
    return [c[0], c[1], c[2]];
  }

  /** Blue (0) - white (128) - red (255). */
  function diverging(v) {
    var t = (v - 127.5) / 127.5;
    var end = t < 0 ? [33, 102, 172] : [178, 24, 43];
    var a = Math.abs(t);
    return [0, 1, 2].map(function (k) { return Math.round(247 + (end[k] - 247) * a); });
  }

  var SVG = 'http://www.w3.org/2000/svg';
  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function confusion(node) {
    var c = data.classifier;
    var k = c.classes.length;
    var cell = Math.max(26, Math.min(48, Math.floor(480 / k)));
    var longest = c.classes.reduce(function (m, s) { return Math.max(m, s.length); }, 1);
    var left = 34 + Math.min(120, 7 * longest + 10);
    var top = 52;
    var w = left + k * cell + 8;
    var h = top + k * cell + 8;
    var svg = svgEl('svg', { width: w, height: h, viewBox: '0 0 ' + w + ' ' + h, role: 'img', 'aria-label': 'confusion matrix' });
    svg.appendChild(svgEl('text', { x: left + (k * cell) / 2, y: 14, 'text-anchor': 'middle', class: 'axis' }, 'predicted class'));
    svg.appendChild(svgEl('text', { x: 12, y: top + (k * cell) / 2, 'text-anchor': 'middle', class: 'axis', transform: 'rotate(-90 12 ' + (top + (k * cell) / 2) + ')' }, 'true class'));
    for (var j = 0; j < k; j++) {
      svg.appendChild(svgEl('text', { x: left + j * cell + cell / 2, y: top - 8, 'text-anchor': 'middle', fill: '#334155' }, c.classes[j]));
      svg.appendChild(svgEl('text', { x: left - 8, y: top + j * cell + cell / 2 + 4, 'text-anchor': 'end', fill: '#334155' }, c.classes[j]));
    }
    c.matrix.forEach(function (row, t) {
      var total = row.reduce(function (a, b) { return a + b; }, 0);
      row.forEach(function (n, p) {
        var share = total ? n / total : 0;
        var rgb = blues(n === 0 ? 0 : 0.08 + 0.92 * share);
        var g = svgEl('g', {});
        var rect = svgEl('rect', { x: left + p * cell, y: top + t * cell, width: cell - 1, height: cell - 1, rx: 2, fill: 'rgb(' + rgb.join(',') + ')', 'data-count': n, 'data-true': t, 'data-predicted': p });
        rect.appendChild(svgEl('title', {}, 'true ' + c.classes[t] + ', predicted ' + c.classes[p] + ': ' + n + ' (' + (100 * share).toFixed(1) + '% of the row)'));
        g.appendChild(rect);
        if (n > 0) g.appendChild(svgEl('text', { x: left + p * cell + cell / 2 - 0.5, y: top + t * cell + cell / 2 + 4, 'text-anchor': 'middle', fill: share > 0.5 ? '#ffffff' : '#0f172a', 'pointer-events': 'none' }, String(n)));
        svg.appendChild(g);
      });
    });
    node.appendChild(svg);
    var legend = document.createElement('div');
    legend.className = 'legend-scale';
    legend.innerHTML = '0% <span class="ramp" style="background: linear-gradient(90deg, rgb(' + blues(0.08).join(',') + '), rgb(' + blues(1).join(',') + '))"></span> 100% of the true class';
    node.appendChild(legend);
  }

  function bytesOf(b64) {
    var s = atob(b64);
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  /** An image on a canvas: 3 channels as colour, 1 as dark ink on white (or on the diverging scale). */
  function imageCanvas(img, shape, mode) {
    var h = shape[0], w = shape[1], ch = shape[2];
    var px = bytesOf(img.data);
    var canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    var ctx = canvas.getContext('2d');
    var out = ctx.createImageData(w, h);
    for (var p = 0; p < w * h; p++) {
      var rgb;
      if (ch === 3) rgb = [px[p * 3], px[p * 3 + 1], px[p * 3 + 2]];
      else if (mode === 'diverging') rgb = diverging(px[p]);
      else rgb = [255 - px[p], 255 - px[p], 255 - px[p]];
      out.data[p * 4] = rgb[0];
      out.data[p * 4 + 1] = rgb[1];
      out.data[p * 4 + 2] = rgb[2];
      out.data[p * 4 + 3] = 255;
    }
    ctx.putImageData(out, 0, 0);
    return canvas;
  }

  function tile(canvases, label) {
    var t = document.createElement('div');
    t.className = 'tile';
    var pair = document.createElement('div');
    pair.className = 'pair';
    canvases.forEach(function (c) { pair.appendChild(c); });
    t.appendChild(pair);
    var lab = document.createElement('div');
    lab.className = 'lab';
    lab.innerHTML = label;
    t.appendChild(lab);
    return t;
  }

  function text(s) {
    var d = document.createElement('div');
    d.textContent = s;
    return d.innerHTML;
  }

  function mistakes(node) {
    var c = data.classifier;
    c.mistakes.forEach(function (m) {
      var label = text(c.classes[m.truth]) + ' → <b>' + text(c.classes[m.predicted]) + '</b> ' + m.confidence.toFixed(2);
      var t = tile([imageCanvas(m.image, c.imageShape)], label);
      t.title = 'test sample ' + m.index;
      node.appendChild(t);
    });
  }

  function filters(node) {
    var f = data.filters;
    f.images.forEach(function (img, i) {
      node.appendChild(tile([imageCanvas(img, f.shape, f.shape[2] === 3 ? 'colour' : 'diverging')], '#' + (i + 1)));
    });
  }

  /** A row of values as a strip of cells on the blues scale. */
  function stripCanvas(values, lo, hi) {
    var canvas = document.createElement('canvas');
    canvas.width = values.length;
    canvas.height = 1;
    var ctx = canvas.getContext('2d');
    var out = ctx.createImageData(values.length, 1);
    values.forEach(function (v, i) {
      var rgb = blues(hi > lo ? (v - lo) / (hi - lo) : 0.5);
      out.data[i * 4] = rgb[0];
      out.data[i * 4 + 1] = rgb[1];
      out.data[i * 4 + 2] = rgb[2];
      out.data[i * 4 + 3] = 255;
    });
    ctx.putImageData(out, 0, 0);
    return canvas;
  }

  function reconstructions(node) {
    var a = data.autoencoder;
    a.samples.forEach(function (s) {
      if (a.imageShape) {
        node.appendChild(tile([imageCanvas(s.input, a.imageShape), imageCanvas(s.output, a.imageShape)], '#' + s.index + ' · MSE ' + s.error.toPrecision(2)));
        return;
      }
      var box = document.createElement('div');
      box.className = 'strip';
      box.appendChild(stripCanvas(s.input, a.range[0], a.range[1]));
      box.appendChild(stripCanvas(s.output, a.range[0], a.range[1]));
      var lab = document.createElement('div');
      lab.textContent = '#' + s.index + ': input (top), reconstruction (bottom), MSE ' + s.error.toPrecision(3);
      box.appendChild(lab);
      node.appendChild(box);
    });
  }

  var DRAW = { curve: curve, batches: batches, lr: lr, scatter: scatter, confusion: confusion, mistakes: mistakes, filters: filters, reconstructions: reconstructions };
  document.querySelectorAll('[data-draw]').forEach(function (node) {
    DRAW[node.getAttribute('data-draw')](node, node.getAttribute('data-index'));
  });
  document.documentElement.setAttribute('data-drawn', 'true');
})();
`;
