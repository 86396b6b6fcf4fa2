// The live page at `/`: one self-contained HTML document (inline CSS and JS, no
// framework, no CDN, no web fonts), so it works on a Pi with no internet and a phone
// on the same network. It polls /api/status and /api/history and redraws in place;
// every value goes in through textContent or SVG attributes, never as markup.
// The chart's x-axis ends at the daemon's `now`, not the browser's, so a device with
// a wrong clock (or a test's fake one) still draws its last 24 h.
// The server sends STATUS_PAGE_CSP with it: only these exact inline blocks may run.
import { createHash } from 'node:crypto';

const STYLE = `
:root{--bg:#f4f5f7;--card:#fff;--ink:#16181d;--muted:#667085;--line:#e4e7ec;--grid:#eef0f3;
--ok:#12b76a;--warn:#f79009;--bad:#f04438;--accent:#1570ef;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--card:#181b21;--ink:#eceef2;--muted:#98a2b3;
--line:#2a2f38;--grid:#222730}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
-webkit-text-size-adjust:100%}
.wrap{max-width:960px;margin:0 auto;padding:16px 14px 28px}
header{display:grid;grid-template-columns:1fr auto;gap:2px 12px;align-items:start;margin-bottom:14px}
.subs{grid-column:1/-1}
.eyebrow{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);font-weight:600}
h1{font-size:22px;line-height:1.2;margin:2px 0 4px;word-break:break-word}
h2{font-size:13px;margin:0;color:var(--muted);text-transform:uppercase;letter-spacing:.06em;font-weight:600}
.sub{color:var(--muted);font-size:13px;overflow-wrap:anywhere}
.sub a{color:inherit}
.badge{flex:none;display:inline-flex;align-items:center;gap:7px;padding:6px 12px;border-radius:999px;font-weight:650;
font-size:14px;background:var(--card);border:1px solid var(--line);white-space:nowrap}
.badge::before{content:"";width:10px;height:10px;border-radius:50%;background:var(--muted)}
.badge[data-status=ok]::before{background:var(--ok)}
.badge[data-status=degraded]::before{background:var(--warn)}
.badge[data-status=failing]::before{background:var(--bad)}
.banner,.reasons{border-radius:12px;padding:10px 14px;margin:0 0 12px;font-size:14px}
.banner{background:var(--bad);color:#fff}
.reasons{list-style:none;background:color-mix(in srgb,var(--warn) 14%,var(--card));border:1px solid color-mix(in srgb,var(--warn) 45%,var(--line))}
.reasons[data-status=failing]{background:color-mix(in srgb,var(--bad) 12%,var(--card));border-color:color-mix(in srgb,var(--bad) 45%,var(--line))}
.reasons li+li{margin-top:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:12px;margin-bottom:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:14px 16px;margin-bottom:12px}
.grid .card{margin:0}
.card-head{display:flex;justify-content:space-between;align-items:baseline;gap:8px;flex-wrap:wrap}
.model{color:var(--muted);font-size:12px}
.values{display:flex;gap:18px;align-items:baseline;margin:8px 0 4px;flex-wrap:wrap}
.big{font-size:34px;font-weight:650;letter-spacing:-.02em;font-variant-numeric:tabular-nums}
.big small{font-size:16px;font-weight:500;color:var(--muted);margin-left:2px}
.age{font-size:13px;color:var(--muted)}
.err{font-size:13px;color:var(--bad);margin-top:4px;word-break:break-word}
.tag{display:inline-block;font-size:11px;font-weight:650;padding:1px 7px;border-radius:6px;background:var(--warn);color:#fff;margin-left:6px}
dl.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px 16px;margin:10px 0 0}
dl.stats div{min-width:0}
dt{font-size:12px;color:var(--muted)}
dd{margin:1px 0 0;font-size:17px;font-weight:600;font-variant-numeric:tabular-nums;word-break:break-word}
dd.warn{color:var(--warn)}dd.bad{color:var(--bad)}
dd.text{font-size:14px;font-weight:500}
dl.stats div.wide{grid-column:1/-1}
.legend{display:flex;gap:12px;flex-wrap:wrap;font-size:13px;color:var(--muted)}
.legend span::before{content:"";display:inline-block;width:10px;height:3px;border-radius:2px;background:currentColor;margin-right:5px;vertical-align:middle}
.chart{margin-top:12px}
.chart-title{display:flex;justify-content:space-between;gap:8px;font-size:13px;color:var(--muted);margin-bottom:2px}
.readout{font-variant-numeric:tabular-nums;color:var(--ink)}
svg{display:block;width:100%;height:170px;touch-action:pan-y}
svg text{fill:var(--muted);font-size:11px;font-family:inherit}
svg .gridline{stroke:var(--grid);stroke-width:1}
svg .cursor{stroke:var(--muted);stroke-width:1;stroke-dasharray:3 3}
svg .line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.empty{fill:var(--muted);font-size:13px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
footer a{color:inherit}
@media (max-width:520px){h1{font-size:19px}.big{font-size:30px}.wrap{padding:12px 10px 24px}svg{height:150px}}
`;

const SCRIPT = `
(function () {
  'use strict';
  var STATUS_EVERY_MS = 5000;
  var HISTORY_EVERY_MS = 15000;
  var GAP_MS = 15 * 60 * 1000;
  var NB = '\u00a0';
  var COLORS = ['#e8590c', '#1c7ed6', '#2f9e44', '#ae3ec9', '#f59f00', '#0c8599'];
  var METRICS = [
    { id: 'chart-temp', key: 1, title: 'Temperature', unit: ' \\u00b0C', minSpan: 2 },
    { id: 'chart-hum', key: 2, title: 'Humidity', unit: ' %', minSpan: 6 }
  ];
  var history = null;
  var statusTimer = 0;
  var historyTimer = 0;

  function byId(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function num(n, digits) { return typeof n === 'number' ? n.toFixed(digits) : '\\u2013'; }
  function ago(s) {
    if (s === null || s === undefined) return 'never';
    if (s < 2) return 'just now';
    if (s < 90) return Math.round(s) + NB + 's ago';
    if (s < 5400) return Math.round(s / 60) + NB + 'min ago';
    if (s < 172800) {
      var h = Math.floor(s / 3600), m = Math.round((s % 3600) / 60);
      return h + NB + 'h' + (m ? NB + m + NB + 'min' : '') + ' ago';
    }
    return Math.round(s / 86400) + NB + 'days ago';
  }
  function span(s) {
    if (s < 90) return Math.round(s) + NB + 's';
    if (s < 5400) return Math.round(s / 60) + NB + 'min';
    if (s < 172800) return Math.floor(s / 3600) + NB + 'h' + NB + Math.round((s % 3600) / 60) + NB + 'min';
    return Math.floor(s / 86400) + NB + 'd' + NB + Math.round((s % 86400) / 3600) + NB + 'h';
  }
  function kib(n) { return n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB'; }
  function hhmm(t) {
    var d = new Date(t);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }
  function colorOf(names, name) { var i = names.indexOf(name); return COLORS[(i < 0 ? 0 : i) % COLORS.length]; }

  function renderStatus(st) {
    var dev = st.device;
    byId('device').textContent = dev.deviceId + ' @ ' + dev.appId;
    byId('endpoint').textContent = dev.endpoint + '  \\u00b7  channel' + NB + dev.channel;
    var loc = byId('location');
    clear(loc);
    if (dev.geolocation) {
      var a = el('a', '', dev.geolocation.lat.toFixed(4) + ', ' + dev.geolocation.lon.toFixed(4));
      a.href = 'https://www.openstreetmap.org/?mlat=' + dev.geolocation.lat + '&mlon=' + dev.geolocation.lon + '#map=13/' + dev.geolocation.lat + '/' + dev.geolocation.lon;
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      loc.appendChild(document.createTextNode('Location '));
      loc.appendChild(a);
    } else {
      loc.textContent = 'No location configured';
    }
    loc.appendChild(document.createTextNode('  \\u00b7  up ' + span(st.uptimeS) + '  \\u00b7  v' + st.version));
    document.title = (st.status === 'ok' ? '' : st.status.toUpperCase() + ' \\u00b7 ') + dev.deviceId + ' \\u00b7 dht-telemetry';

    var badge = byId('badge');
    badge.dataset.status = st.status;
    badge.textContent = st.status === 'ok' ? 'Healthy' : st.status === 'degraded' ? 'Degraded' : 'Failing';

    var reasons = byId('reasons');
    clear(reasons);
    reasons.dataset.status = st.status;
    st.reasons.forEach(function (r) { reasons.appendChild(el('li', '', r)); });
    reasons.hidden = st.reasons.length === 0;

    var names = st.sensors.map(function (s) { return s.name; });
    var grid = byId('sensors');
    clear(grid);
    st.sensors.forEach(function (s) {
      var card = el('article', 'card sensor');
      card.dataset.sensor = s.name;
      var head = el('div', 'card-head');
      var title = el('h2', '', s.name);
      if (st.sensors.length > 1) title.style.color = colorOf(names, s.name);
      if (s.stuck) title.appendChild(el('span', 'tag', 'stuck'));
      else if (s.stale) title.appendChild(el('span', 'tag', 'stale'));
      head.appendChild(title);
      head.appendChild(el('span', 'model', s.model + (s.pin >= 0 ? ' \\u00b7 GPIO ' + s.pin : '') + ' \\u00b7 every ' + span(s.intervalS)));
      card.appendChild(head);
      var values = el('div', 'values');
      var t = el('div', 'big temp', num(s.lastReading && s.lastReading.temperature, 1));
      t.appendChild(el('small', '', '\\u00b0C'));
      var hu = el('div', 'big hum', num(s.lastReading && s.lastReading.humidity, 1));
      hu.appendChild(el('small', '', '%'));
      values.appendChild(t);
      values.appendChild(hu);
      card.appendChild(values);
      card.appendChild(el('div', 'age', s.lastReading ? 'Read ' + ago(s.lastReadingAgeS) : 'No reading yet'));
      if (s.lastError) card.appendChild(el('div', 'err', (s.failedCycles > 0 ? s.failedCycles + ' failed \\u00b7 ' : '') + s.lastError));
      grid.appendChild(card);
    });

    var d = st.delivery, o = st.outbox;
    var dl = byId('delivery');
    clear(dl);
    function stat(label, value, tone) {
      var box = el('div', /text/.test(tone || '') ? 'wide' : '');
      box.appendChild(el('dt', '', label));
      box.appendChild(el('dd', tone || '', value));
      dl.appendChild(box);
    }
    stat('Last delivery', ago(d.lastDeliveryAgeS), d.lastDeliveryAgeS === null ? 'warn' : '');
    stat('Queued', o.depth + (o.depth === 1 ? ' event' : ' events') + ' \\u00b7 ' + kib(o.bytes), o.depth > 50 ? 'warn' : '');
    stat('Outbox', o.storage === 'disk' ? 'on disk' : 'in memory!', o.storage === 'disk' ? '' : 'bad');
    stat('Failures in a row', String(d.consecutiveFailures), d.consecutiveFailures > 0 ? (d.credentialsRefused ? 'bad' : 'warn') : '');
    if (d.lastError) stat('Last error', d.lastError + (d.pausedForS > 0 ? ' (retry in ' + span(d.pausedForS) + ')' : ''), 'warn text');
    stat('Sent', String(st.counters.events_sent_total || 0));
    if (o.deadLettered > 0) stat('Refused for good', String(o.deadLettered), 'warn');
    if (o.dropped > 0) stat('Dropped (outbox full)', String(o.dropped), 'bad');

    byId('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
  }

  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  }

  function drawChart(metric, hist) {
    var host = byId(metric.id);
    var box = host.querySelector('svg');
    var W = Math.max(240, Math.round(box.getBoundingClientRect().width || host.clientWidth || 600));
    var H = Math.round(box.getBoundingClientRect().height) || 160;
    var L = 38, R = 10, T = 8, B = 20;
    clear(box);
    box.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var t1 = hist.now, t0 = t1 - hist.windowMs;
    var lo = Infinity, hi = -Infinity, total = 0;
    hist.sensors.forEach(function (s) {
      s.points.forEach(function (p) { if (p[0] >= t0) { lo = Math.min(lo, p[metric.key]); hi = Math.max(hi, p[metric.key]); } });
    });
    if (lo === Infinity) {
      box.dataset.points = '0';
      box.appendChild(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'No readings yet'));
      return;
    }
    if (hi - lo < metric.minSpan) { var mid = (hi + lo) / 2; lo = mid - metric.minSpan / 2; hi = mid + metric.minSpan / 2; }
    var step = niceStep((hi - lo) / 3);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    function x(t) { return L + ((t - t0) / (t1 - t0)) * (W - L - R); }
    function y(v) { return T + (1 - (v - lo) / (hi - lo)) * (H - T - B); }
    for (var v = lo; v <= hi + step / 2; v += step) {
      box.appendChild(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'gridline' }));
      box.appendChild(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(Math.round(v * 10) / 10)));
    }
    var hours = W < 520 ? 6 : 3;
    var tick = new Date(t0);
    tick.setMinutes(0, 0, 0);
    for (var tt = tick.getTime() + 3600000; tt <= t1; tt += 3600000) {
      if (new Date(tt).getHours() % hours !== 0) continue;
      box.appendChild(svg('line', { x1: x(tt), x2: x(tt), y1: T, y2: H - B, class: 'gridline' }));
      box.appendChild(svg('text', { x: x(tt), y: H - 5, 'text-anchor': 'middle' }, hhmm(tt)));
    }
    var names = hist.sensors.map(function (s) { return s.name; });
    hist.sensors.forEach(function (s) {
      var d = '', n = 0, prev = -Infinity, last = null;
      s.points.forEach(function (p) {
        if (p[0] < t0) return;
        d += (p[0] - prev > GAP_MS ? 'M' : 'L') + x(p[0]).toFixed(1) + ' ' + y(p[metric.key]).toFixed(1);
        prev = p[0];
        last = p;
        n++;
      });
      if (!n) return;
      var color = colorOf(names, s.name);
      var path = svg('path', { d: d, class: 'line', stroke: color });
      path.dataset.sensor = s.name;
      path.dataset.points = String(n);
      box.appendChild(path);
      box.appendChild(svg('circle', { cx: x(last[0]), cy: y(last[metric.key]), r: 3.5, fill: color, class: 'last' }));
      total += n;
    });
    box.dataset.points = String(total);
    var cursor = svg('line', { y1: T, y2: H - B, class: 'cursor', visibility: 'hidden' });
    box.appendChild(cursor);
    var readout = host.querySelector('.readout');
    function latest() {
      readout.textContent = hist.sensors.map(function (s) {
        var p = s.points[s.points.length - 1];
        return p ? (hist.sensors.length > 1 ? s.name + ' ' : '') + p[metric.key].toFixed(1) + metric.unit : '';
      }).filter(Boolean).join('  \\u00b7  ');
    }
    latest();
    box.onpointermove = function (ev) {
      var r = box.getBoundingClientRect();
      var px = ((ev.clientX - r.left) / r.width) * W;
      if (px < L || px > W - R) { cursor.setAttribute('visibility', 'hidden'); latest(); return; }
      var t = t0 + ((px - L) / (W - L - R)) * (t1 - t0);
      cursor.setAttribute('x1', px);
      cursor.setAttribute('x2', px);
      cursor.setAttribute('visibility', 'visible');
      readout.textContent = hhmm(t) + '  ' + hist.sensors.map(function (s) {
        var best = null;
        s.points.forEach(function (p) { if (!best || Math.abs(p[0] - t) < Math.abs(best[0] - t)) best = p; });
        return best && Math.abs(best[0] - t) < GAP_MS ? (hist.sensors.length > 1 ? s.name + ' ' : '') + best[metric.key].toFixed(1) + metric.unit : '';
      }).filter(Boolean).join('  \\u00b7  ');
    };
    box.onpointerleave = function () { cursor.setAttribute('visibility', 'hidden'); latest(); };
  }

  function renderHistory(hist) {
    history = hist;
    var legend = byId('legend');
    clear(legend);
    if (hist.sensors.length > 1) {
      var names = hist.sensors.map(function (s) { return s.name; });
      hist.sensors.forEach(function (s) {
        var item = el('span', '', s.name);
        item.style.color = colorOf(names, s.name);
        legend.appendChild(item);
      });
    }
    METRICS.forEach(function (m) { drawChart(m, hist); });
  }

  function getJson(url) {
    return fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } }).then(function (res) {
      if (!res.ok) throw new Error(url + ' answered ' + res.status);
      return res.json();
    });
  }
  function online(ok) { byId('offline').hidden = ok; }

  function pollStatus() {
    clearTimeout(statusTimer);
    return getJson('api/status').then(function (st) { online(true); renderStatus(st); }, function () { online(false); })
      .then(function () { statusTimer = setTimeout(pollStatus, STATUS_EVERY_MS); });
  }
  function pollHistory() {
    clearTimeout(historyTimer);
    return getJson('api/history').then(renderHistory, function () { online(false); })
      .then(function () { historyTimer = setTimeout(pollHistory, HISTORY_EVERY_MS); });
  }

  var resizeTimer = 0;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (history) renderHistory(history); }, 150);
  });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { pollStatus(); pollHistory(); }
  });
  Promise.all([pollStatus(), pollHistory()]).then(function () { document.body.dataset.loaded = 'true'; });
})();
`;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>dht-telemetry</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<div class="wrap">
<header>
  <div class="title">
    <div class="eyebrow">dht-telemetry</div>
    <h1 id="device">Loading&hellip;</h1>
  </div>
  <div id="badge" class="badge" data-status="unknown">&hellip;</div>
  <div class="subs">
    <div class="sub" id="endpoint"></div>
    <div class="sub" id="location"></div>
  </div>
</header>
<div id="offline" class="banner" hidden>The status server does not answer. Retrying&hellip;</div>
<ul id="reasons" class="reasons" hidden></ul>
<main>
  <section class="grid" id="sensors" aria-label="Sensors"></section>
  <section class="card">
    <h2>Delivery</h2>
    <dl class="stats" id="delivery"></dl>
  </section>
  <section class="card">
    <div class="card-head"><h2>Last 24 hours</h2><div class="legend" id="legend"></div></div>
    <div class="chart" id="chart-temp">
      <div class="chart-title"><span>Temperature &deg;C</span><span class="readout"></span></div>
      <svg role="img" aria-label="Temperature over the last 24 hours" data-points="0"></svg>
    </div>
    <div class="chart" id="chart-hum">
      <div class="chart-title"><span>Humidity %</span><span class="readout"></span></div>
      <svg role="img" aria-label="Humidity over the last 24 hours" data-points="0"></svg>
    </div>
  </section>
</main>
<footer><span id="updated"></span> &middot; <a href="metrics">metrics</a> &middot; <a href="healthz">healthz</a></footer>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Allows exactly the page's own inline style and script, and fetches to this server. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
