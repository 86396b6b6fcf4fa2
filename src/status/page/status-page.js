
(function () {
  'use strict';
  var STATUS_EVERY_MS = 5000;
  var HISTORY_EVERY_MS = 15000;
  var GAP_MS = 15 * 60 * 1000;
  var NB = ' ';
  var COLORS = ['#e8590c', '#1c7ed6', '#2f9e44', '#ae3ec9', '#f59f00', '#0c8599'];
  var METRICS = [
    { id: 'chart-temp', key: 1, title: 'Temperature', unit: ' \u00b0C', minSpan: 2 },
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
  function num(n, digits) { return typeof n === 'number' ? n.toFixed(digits) : '\u2013'; }
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
    byId('endpoint').textContent = dev.endpoint + '  \u00b7  channel' + NB + dev.channel;
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
    loc.appendChild(document.createTextNode('  \u00b7  up ' + span(st.uptimeS) + '  \u00b7  v' + st.version));
    document.title = (st.status === 'ok' ? '' : st.status.toUpperCase() + ' \u00b7 ') + dev.deviceId + ' \u00b7 dht-telemetry';

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
      head.appendChild(el('span', 'model', s.model + (s.pin >= 0 ? ' \u00b7 GPIO ' + s.pin : '') + ' \u00b7 every ' + span(s.intervalS)));
      card.appendChild(head);
      var values = el('div', 'values');
      var t = el('div', 'big temp', num(s.lastReading && s.lastReading.temperature, 1));
      t.appendChild(el('small', '', '\u00b0C'));
      var hu = el('div', 'big hum', num(s.lastReading && s.lastReading.humidity, 1));
      hu.appendChild(el('small', '', '%'));
      values.appendChild(t);
      values.appendChild(hu);
      card.appendChild(values);
      card.appendChild(el('div', 'age', s.lastReading ? 'Read ' + ago(s.lastReadingAgeS) : 'No reading yet'));
      if (s.lastError) card.appendChild(el('div', 'err', (s.failedCycles > 0 ? s.failedCycles + ' failed \u00b7 ' : '') + s.lastError));
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
    stat('Queued', o.depth + (o.depth === 1 ? ' event' : ' events') + ' \u00b7 ' + kib(o.bytes), o.depth > 50 ? 'warn' : '');
    stat('Outbox', o.storage === 'disk' ? 'on disk' : 'in memory!', o.storage === 'disk' ? '' : 'bad');
    stat('Failures in a row', String(d.consecutiveFailures), d.consecutiveFailures > 0 ? (d.credentialsRefused ? 'bad' : 'warn') : '');
    if (d.lastError) stat('Last error', d.lastError + (d.pausedForS > 0 ? ' (retry in ' + span(d.pausedForS) + ')' : ''), 'warn text');
    stat('Sent', String(st.counters.events_sent_total || 0));
    if (o.deadLettered > 0) stat('Refused for good', String(o.deadLettered), 'warn');
    if (o.dropped > 0) stat('Dropped (outbox full)', String(o.dropped), 'bad');
    var c = st.clock;
    if (c) {
      var clockText = c.belowFloor ? 'before ' + c.floor.slice(0, 10) + ': wrong, readings held' : c.waitingForSync ? 'waiting for time sync, readings held' : c.synced === true ? 'synced' : c.synced === false ? 'not synced' : 'sync not visible';
      if (c.steppedAt) clockText += ' \u00b7 stepped ' + (c.lastStepMs > 0 ? '+' : '\u2212') + span(Math.abs(c.lastStepMs) / 1000) + ' at ' + c.steppedAt.slice(11, 19);
      stat('Clock', clockText, c.belowFloor || c.waitingForSync ? 'warn' : '');
    }

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
      }).filter(Boolean).join('  \u00b7  ');
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
      }).filter(Boolean).join('  \u00b7  ');
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
