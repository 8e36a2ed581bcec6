// The web page: one self-contained HTML document (inline CSS and JS, no
// framework, nothing fetched from elsewhere). It polls /api/traces, draws the
// waterfall from /api/traces/:id (spans already in tree order with depth and
// offset, so the page holds no tree logic) and shows a clicked span's details.
// Span data reaches the DOM only through textContent, never as HTML.
//
// Stable hooks for tests and users: #filter-service, #filter-status,
// #filter-min-duration, tr.trace-row[data-trace-id], .span-row[data-span-id]
// (.span-error when the span failed), #span-details, .attr-row[data-key].

const STYLE = `
:root { --bg: #f5f6f8; --panel: #fff; --line: #e3e6eb; --text: #1c2230; --muted: #687083; --accent: #3d5afe;
  --error: #d92d20; --error-bg: #fff1f0; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: var(--bg);
  display: flex; flex-direction: column; }
header { display: flex; align-items: center; gap: 20px; padding: 8px 16px; background: #1c2230; color: #fff; }
header h1 { font-size: 15px; margin: 0; font-weight: 600; letter-spacing: .2px; }
header h1 span { color: #8ea2ff; font-weight: 400; }
#filters { display: flex; gap: 14px; align-items: center; }
#filters label { display: flex; gap: 6px; align-items: center; color: #c5cde0; font-size: 12px; }
#filters select, #filters input { font: inherit; font-size: 12px; padding: 3px 6px; border-radius: 4px; border: 1px solid #3a4459;
  background: #262e40; color: #fff; }
#filters input { width: 72px; }
#status-line { margin-left: auto; color: #97a2b8; font-size: 12px; }
main { flex: 1; display: grid; grid-template-columns: minmax(380px, 36%) 1fr; min-height: 0; }
#trace-list-panel { overflow: auto; background: var(--panel); border-right: 1px solid var(--line); }
table { border-collapse: collapse; width: 100%; }
#trace-list th { position: sticky; top: 0; background: #eef0f4; text-align: left; font-weight: 600; padding: 6px 8px;
  font-size: 11px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); border-bottom: 1px solid var(--line); }
#trace-list td { padding: 6px 8px; border-bottom: 1px solid #f0f2f5; white-space: nowrap; }
.trace-row { cursor: pointer; }
.trace-row:hover { background: #f3f5ff; }
.trace-row.selected { background: #e4e9ff; }
.trace-row .root { max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
.trace-row .when { color: var(--muted); font-variant-numeric: tabular-nums; }
.trace-row.trace-error .errors { color: var(--error); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.service-badge { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 11px; line-height: 18px;
  margin-right: 6px; vertical-align: 1px; }
.empty { padding: 24px 16px; color: var(--muted); }
.empty code { background: #eef0f4; padding: 1px 4px; border-radius: 3px; color: var(--text); }
#trace-view { display: flex; flex-direction: column; min-width: 0; min-height: 0; }
#trace-header { padding: 10px 16px; background: var(--panel); border-bottom: 1px solid var(--line); }
#trace-header h2 { margin: 0 0 2px; font-size: 15px; font-weight: 600; }
#trace-header .meta { color: var(--muted); font-size: 12px; }
#trace-header .meta .error-count { color: var(--error); font-weight: 600; }
#waterfall { flex: 1; overflow: auto; background: var(--panel); }
.wf-axis, .span-row { display: grid; grid-template-columns: minmax(220px, 36%) 1fr; }
.wf-axis { position: sticky; top: 0; z-index: 1; background: #eef0f4; border-bottom: 1px solid var(--line); font-size: 11px;
  color: var(--muted); }
.wf-axis .ticks { position: relative; height: 22px; }
.wf-axis .tick { position: absolute; top: 4px; transform: translateX(-50%); white-space: nowrap; font-variant-numeric: tabular-nums; }
.wf-axis .tick:first-child { transform: none; }
.wf-axis .tick:last-child { transform: translateX(-100%); }
.wf-axis .label-head { padding: 4px 8px; }
.span-row { cursor: pointer; border-bottom: 1px solid #f2f3f6; }
.span-row:hover { background: #f6f7ff; }
.span-row.selected { background: #e4e9ff; }
.span-label { padding: 3px 8px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.span-timeline { position: relative; margin: 0 56px 0 8px;
  background: repeating-linear-gradient(90deg, transparent 0, transparent calc(25% - 1px), #eceef2 calc(25% - 1px), #eceef2 25%); }
.span-bar { position: absolute; top: 6px; height: 12px; min-width: 2px; border-radius: 2px; }
.span-duration { position: absolute; top: 3px; font-size: 11px; color: var(--muted); white-space: nowrap;
  font-variant-numeric: tabular-nums; }
.span-row.span-error .span-label { color: var(--error); }
.span-row.span-error .span-bar { background: var(--error) !important; box-shadow: 0 0 0 1px #fff, 0 0 0 2px var(--error); }
.span-row.span-error .span-duration { color: var(--error); }
.span-duration.inside { color: #fff !important; font-weight: 600; }
.error-mark { color: var(--error); font-weight: 700; margin-left: 6px; }
#span-details { flex: 0 0 42%; overflow: auto; background: var(--panel); border-top: 2px solid var(--line); padding: 10px 16px 16px; }
#span-details[hidden] { display: none; }
#span-details h3 { margin: 0 0 2px; font-size: 14px; }
#span-details h4 { margin: 14px 0 4px; font-size: 11px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); }
#span-details .meta { color: var(--muted); font-size: 12px; }
#span-details .status-error { color: var(--error); font-weight: 600; }
.kv { width: auto; min-width: 50%; }
.kv th { text-align: left; font-weight: 500; color: var(--muted); padding: 2px 16px 2px 0; vertical-align: top; white-space: nowrap;
  font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.kv td { padding: 2px 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
.event { margin: 4px 0 8px; }
.event .event-time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: 8px; }
.event .event-name { font-weight: 600; }
.none { color: var(--muted); font-style: italic; }
`;

const SCRIPT = `
'use strict';
var state = { selectedTrace: location.hash.slice(1), selectedSpan: '', listText: '', servicesText: '', traceText: '', trace: null };
var $ = function (id) { return document.getElementById(id); };
var POLL_MS = 2000;

function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatMs(ms) { return (ms >= 1 ? ms.toFixed(1) : ms.toFixed(2)) + ' ms'; }

function serviceColor(service) {
  var hash = 0;
  for (var i = 0; i < service.length; i++) hash = (hash * 31 + service.charCodeAt(i)) >>> 0;
  return 'hsl(' + (hash % 360) + ', 55%, 45%)';
}

function badge(service) {
  var node = el('span', 'service-badge', service);
  node.style.background = serviceColor(service);
  return node;
}

function clockTime(ms) {
  var d = new Date(ms);
  var pad = function (n, w) { return String(n).padStart(w, '0'); };
  return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + '.' + pad(d.getMilliseconds(), 3);
}

function showValue(value) { return typeof value === 'string' ? value : JSON.stringify(value); }

function kvTable(attributes) {
  var keys = Object.keys(attributes || {});
  if (keys.length === 0) return el('div', 'none', 'none');
  var table = el('table', 'kv');
  keys.sort().forEach(function (key) {
    var row = el('tr', 'attr-row');
    row.dataset.key = key;
    row.appendChild(el('th', '', key));
    row.appendChild(el('td', '', showValue(attributes[key])));
    table.appendChild(row);
  });
  return table;
}

function query() {
  var params = new URLSearchParams();
  var service = $('filter-service').value, status = $('filter-status').value, min = $('filter-min-duration').value;
  if (service) params.set('service', service);
  if (status) params.set('status', status);
  if (min !== '' && Number(min) >= 0) params.set('minDurationMs', min);
  params.set('limit', '500');
  return params.toString();
}

function getText(url) {
  return fetch(url, { cache: 'no-store' }).then(function (res) {
    if (!res.ok) return res.text().then(function (text) { throw new Error(url + ': ' + res.status + ' ' + text); });
    return res.text();
  });
}

var refreshes = 0;

function refresh() {
  // A slow answer to an older query (the filters changed meanwhile) must not overwrite a newer one.
  var mine = ++refreshes;
  return Promise.all([getText('/api/services'), getText('/api/traces?' + query())]).then(function (texts) {
    if (mine !== refreshes) return;
    if (texts[0] !== state.servicesText) { state.servicesText = texts[0]; renderServices(JSON.parse(texts[0])); }
    if (texts[1] !== state.listText) { state.listText = texts[1]; renderList(JSON.parse(texts[1])); }
    $('status-line').textContent = 'updated ' + clockTime(Date.now());
    if (state.selectedTrace && !(state.trace && state.trace.finished && state.trace.traceId === state.selectedTrace)) return loadTrace();
  }).catch(function (error) {
    $('status-line').textContent = 'viewer unreachable: ' + error.message;
  });
}

function renderServices(services) {
  var select = $('filter-service');
  var current = select.value;
  while (select.options.length > 1) select.remove(1);
  services.forEach(function (service) {
    var option = el('option', '', service);
    option.value = service;
    select.appendChild(option);
  });
  select.value = services.indexOf(current) >= 0 ? current : '';
}

function renderList(traces) {
  var body = $('trace-rows');
  body.textContent = '';
  $('trace-list-empty').hidden = traces.length > 0;
  traces.forEach(function (t) {
    var row = el('tr', 'trace-row' + (t.errorCount > 0 ? ' trace-error' : '') + (t.traceId === state.selectedTrace ? ' selected' : ''));
    row.dataset.traceId = t.traceId;
    row.dataset.service = t.rootService;
    row.appendChild(el('td', 'when', clockTime(t.startMs)));
    var root = el('td', 'root');
    root.appendChild(badge(t.rootService));
    root.appendChild(document.createTextNode(t.rootName));
    root.title = t.rootName + ' (' + t.services.join(', ') + ')';
    row.appendChild(root);
    row.appendChild(el('td', 'num duration', formatMs(t.durationMs)));
    row.appendChild(el('td', 'num spans', String(t.spanCount)));
    row.appendChild(el('td', 'num errors', t.errorCount > 0 ? '\\u2717 ' + t.errorCount : '0'));
    row.addEventListener('click', function () { selectTrace(t.traceId); });
    body.appendChild(row);
  });
}

function selectTrace(traceId) {
  state.selectedTrace = traceId;
  state.selectedSpan = '';
  state.traceText = '';
  history.replaceState(null, '', '#' + traceId);
  Array.prototype.forEach.call(document.querySelectorAll('.trace-row'), function (row) {
    row.classList.toggle('selected', row.dataset.traceId === traceId);
  });
  return loadTrace();
}

function loadTrace() {
  var traceId = state.selectedTrace;
  return fetch('/api/traces/' + encodeURIComponent(traceId), { cache: 'no-store' }).then(function (res) {
    // Gone (evicted), or a hash that is no trace id.
    if (!res.ok) return null;
    return res.text();
  }).then(function (text) {
    if (traceId !== state.selectedTrace) return;
    if (text === null) { state.trace = null; renderMissing(traceId); return; }
    if (text === state.traceText) return;
    state.traceText = text;
    state.trace = JSON.parse(text);
    renderTrace(state.trace);
  });
}

function renderMissing(traceId) {
  $('trace-header').textContent = '';
  $('trace-header').appendChild(el('div', 'empty', 'Trace ' + traceId + ' is not (or no longer) in the viewer.'));
  $('waterfall').textContent = '';
  $('span-details').hidden = true;
}

function renderTrace(trace) {
  var header = $('trace-header');
  header.textContent = '';
  var title = el('h2');
  title.appendChild(badge(trace.rootService));
  title.appendChild(document.createTextNode(trace.rootName));
  header.appendChild(title);
  var meta = el('div', 'meta');
  meta.appendChild(document.createTextNode('trace ' + trace.traceId + ' \\u00b7 ' + formatMs(trace.durationMs) + ' \\u00b7 ' +
    trace.spanCount + ' spans \\u00b7 ' + trace.services.length + ' services \\u00b7 '));
  meta.appendChild(el('span', trace.errorCount > 0 ? 'error-count' : '', trace.errorCount + (trace.errorCount === 1 ? ' error' : ' errors')));
  if (!trace.finished) meta.appendChild(document.createTextNode(' \\u00b7 receiving\\u2026'));
  if (trace.droppedSpans > 0) meta.appendChild(document.createTextNode(' \\u00b7 ' + trace.droppedSpans + ' spans dropped (trace too large)'));
  header.appendChild(meta);

  var waterfall = $('waterfall');
  waterfall.textContent = '';
  var axis = el('div', 'wf-axis');
  axis.appendChild(el('div', 'label-head', 'Service \\u00b7 span'));
  var ticks = el('div', 'span-timeline ticks');
  [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
    var tick = el('span', 'tick', formatMs(trace.durationMs * f));
    tick.style.left = (f * 100) + '%';
    ticks.appendChild(tick);
  });
  axis.appendChild(ticks);
  waterfall.appendChild(axis);

  var total = trace.durationMs > 0 ? trace.durationMs : 1;
  trace.spans.forEach(function (span) {
    var error = span.status.code === 2;
    var row = el('div', 'span-row' + (error ? ' span-error' : '') + (span.spanId === state.selectedSpan ? ' selected' : ''));
    row.dataset.spanId = span.spanId;
    row.dataset.depth = String(span.depth);
    row.dataset.service = span.service;
    var label = el('div', 'span-label');
    label.style.paddingLeft = (8 + span.depth * 16) + 'px';
    label.title = span.service + ' ' + span.name;
    label.appendChild(badge(span.service));
    label.appendChild(el('span', 'span-name', span.name));
    if (error) label.appendChild(el('span', 'error-mark', '\\u2717'));
    row.appendChild(label);
    var timeline = el('div', 'span-timeline');
    var left = Math.min(100, (span.offsetMs / total) * 100);
    var width = Math.min(100 - left, (span.durationMs / total) * 100);
    var bar = el('div', 'span-bar');
    bar.style.left = left + '%';
    bar.style.width = width + '%';
    bar.style.background = serviceColor(span.service);
    timeline.appendChild(bar);
    var duration = el('span', 'span-duration', formatMs(span.durationMs));
    // After the bar if there is room, else inside a wide bar, else before it.
    if (left + width <= 75) duration.style.left = 'calc(' + (left + width) + '% + 4px)';
    else if (width >= 15) {
      duration.className += ' inside';
      duration.style.right = 'calc(' + (100 - left - width) + '% + 4px)';
    } else duration.style.right = 'calc(' + (100 - left) + '% + 4px)';
    timeline.appendChild(duration);
    row.appendChild(timeline);
    row.addEventListener('click', function () { selectSpan(span.spanId); });
    waterfall.appendChild(row);
  });
  var selected = trace.spans.filter(function (s) { return s.spanId === state.selectedSpan; })[0];
  if (selected) renderDetails(selected, trace); else $('span-details').hidden = true;
}

function selectSpan(spanId) {
  state.selectedSpan = spanId;
  Array.prototype.forEach.call(document.querySelectorAll('.span-row'), function (row) {
    row.classList.toggle('selected', row.dataset.spanId === spanId);
  });
  var span = state.trace.spans.filter(function (s) { return s.spanId === spanId; })[0];
  if (span) renderDetails(span, state.trace);
}

var KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
var STATUSES = ['UNSET', 'OK', 'ERROR'];

function renderDetails(span, trace) {
  var panel = $('span-details');
  panel.hidden = false;
  panel.textContent = '';
  panel.dataset.spanId = span.spanId;
  var title = el('h3');
  title.appendChild(badge(span.service));
  title.appendChild(document.createTextNode(span.name));
  panel.appendChild(title);
  var meta = el('div', 'meta', KINDS[span.kind] + ' \\u00b7 ' + formatMs(span.durationMs) + ' \\u00b7 starts at +' + formatMs(span.offsetMs) + ' \\u00b7 ');
  var status = el('span', span.status.code === 2 ? 'status-error' : '', STATUSES[span.status.code] + (span.status.message ? ': ' + span.status.message : ''));
  meta.appendChild(status);
  panel.appendChild(meta);

  panel.appendChild(el('h4', '', 'Attributes'));
  panel.appendChild(kvTable(span.attributes)).id = 'span-attributes';

  panel.appendChild(el('h4', '', 'Events'));
  var events = el('div');
  events.id = 'span-events';
  if (span.events.length === 0) events.appendChild(el('div', 'none', 'none'));
  span.events.forEach(function (event) {
    var item = el('div', 'event');
    item.dataset.name = event.name;
    var offset = Number(BigInt(event.timeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6;
    item.appendChild(el('span', 'event-time', '+' + formatMs(offset)));
    item.appendChild(el('span', 'event-name', event.name));
    if (Object.keys(event.attributes).length > 0) item.appendChild(kvTable(event.attributes));
    events.appendChild(item);
  });
  panel.appendChild(events);

  if (span.links.length > 0) {
    panel.appendChild(el('h4', '', 'Links'));
    span.links.forEach(function (link) {
      var attributes = Object.assign({ 'trace id': link.traceId, 'span id': link.spanId }, link.attributes);
      panel.appendChild(kvTable(attributes));
    });
  }

  panel.appendChild(el('h4', '', 'Span'));
  panel.appendChild(kvTable({
    'span id': span.spanId, 'parent span id': span.parentSpanId || '(root)', 'trace id': trace.traceId,
    'start': new Date(span.startMs).toISOString() + ' (' + span.startTimeUnixNano + ' ns)',
    'scope': span.scope.name + (span.scope.version ? '@' + span.scope.version : ''),
  }));

  panel.appendChild(el('h4', '', 'Resource'));
  panel.appendChild(kvTable(span.resource.attributes)).id = 'span-resource';
}

['filter-service', 'filter-status', 'filter-min-duration'].forEach(function (id) {
  $(id).addEventListener('input', function () { state.listText = ''; refresh(); });
});
window.addEventListener('hashchange', function () {
  var traceId = location.hash.slice(1);
  if (traceId && traceId !== state.selectedTrace) selectTrace(traceId);
});
refresh();
setInterval(refresh, POLL_MS);
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderPage(options: { otlpUrl: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tracewire viewer</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>tracewire <span>viewer</span></h1>
  <form id="filters" onsubmit="return false">
    <label>Service <select id="filter-service"><option value="">all services</option></select></label>
    <label>Status <select id="filter-status"><option value="">any</option><option value="error">error</option><option value="ok">ok</option></select></label>
    <label>Min duration <input id="filter-min-duration" type="number" min="0" step="any" placeholder="0"> ms</label>
  </form>
  <span id="status-line"></span>
</header>
<main>
  <section id="trace-list-panel">
    <table id="trace-list">
      <thead><tr><th>Started</th><th>Root</th><th class="num">Duration</th><th class="num">Spans</th><th class="num">Errors</th></tr></thead>
      <tbody id="trace-rows"></tbody>
    </table>
    <div id="trace-list-empty" class="empty">No traces match. Send OTLP (http/protobuf or http/json) to <code>${escapeHtml(options.otlpUrl)}</code>.</div>
  </section>
  <section id="trace-view">
    <div id="trace-header"><div class="empty">Select a trace on the left to see its waterfall.</div></div>
    <div id="waterfall"></div>
    <aside id="span-details" hidden></aside>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
