'use strict';
// The one table: every figure per variant, as a ratio to the uninstrumented
// app where that applies, next to the issue's peer figures and tracewire's
// target (✓ met, ✗ missed).
const { pairedRatios, summary } = require('./stats');
const { TARGETS, meets } = require('./targets');

const COLUMNS = ['uninstrumented', 'tracewire', 'otel-lean', 'otel-auto', 'dd-trace'];
const HEADER = ['figure (median [min–max])', 'uninstrumented', 'tracewire', 'OTel SDK lean', 'OTel auto', 'dd-trace', 'tracewire target', 'issue: lean / auto / dd'];

const num = (x, digits) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
const med = (s, digits) => (s && s.n ? num(s.median, digits) : 'n/a');
const range = (s, digits) => (s && s.n ? (s.n > 1 ? `${num(s.median, digits)} [${num(s.min, digits)}–${num(s.max, digits)}]` : num(s.median, digits)) : 'n/a');
const mark = (key, s) => {
  const ok = s && s.n ? meets(key, s.median) : null;
  return ok === null ? '' : ok ? ' ✓' : ' ✗';
};
const peers = (key) => {
  const t = TARGETS[key];
  return [t.lean, t.auto, t.dd].map((v) => (v === undefined ? '–' : String(v))).join(' / ');
};
const targetText = (key) => `${TARGETS[key].better === 'higher' ? '≥' : '≤'} ${TARGETS[key].target}`;

function scenarioRows(name, title, result, required) {
  const s = result.summaries || {};
  const rows = [[`${title}`]];
  const per = (fn) => COLUMNS.map((v) => (s[v] ? fn(s[v], v) : 'n/a'));
  rows.push(['  req/s (variants: ÷ uninstrumented, paired)', ...per((x, v) => (v === 'uninstrumented' ? range(x.rps, 0) : range(x.rpsRatio, 2) + (v === 'tracewire' ? mark(name, x.rpsRatio) : ''))), targetText(name), peers(name)]);
  rows.push(['  latency p50 / p99 ms', ...per((x) => `${med(x.p50Ms, 0)} / ${med(x.p99Ms, 0)}`), '', '']);
  rows.push(['  server CPU µs/request (÷ uninstr.)', ...per((x, v) => (v === 'uninstrumented' ? med(x.cpuUsPerRequest, 0) : `${med(x.cpuUsPerRequest, 0)} (${med(x.cpuRatio, 2)}×)`)), '', '']);
  const spans = result.spans || {};
  rows.push([
    '  spans/request, low load (receiver)',
    ...COLUMNS.map((v) => (v === 'uninstrumented' ? '0' : spans[v] ? (spans[v].error ? 'error' : num(spans[v].spansPerRequest, 2) + (v === 'tracewire' ? (spans[v].spansPerRequest >= required ? ' ✓' : ' ✗') : '')) : 'n/a')),
    `≥ ${required}`,
    '',
  ]);
  rows.push(['  server CPU busy % (req/s needs ~100)', ...per((x) => med(x.serverBusyPct, 0)), '', '']);
  rows.push(['  other load on the server CPU %', ...per((x) => med(x.otherLoadPct, 0)), '', '']);
  const bad = COLUMNS.filter((v) => s[v] && (s[v].failedRuns || s[v].badResponses));
  if (bad.length) rows.push([`  ! failed runs / bad responses: ${bad.map((v) => `${v} ${s[v].failedRuns}/${s[v].badResponses}`).join(', ')}`]);
  return rows;
}

function startupRows(startup) {
  const s = startup.summaries;
  const per = (fn) => COLUMNS.map((v) => (s[v] ? fn(s[v], v) : 'n/a'));
  return [
    ['Start-up (pinned to the server CPU)'],
    ['  node [-r preload] -e 0: ms, ÷ node -e 0', ...per((x, v) => (v === 'uninstrumented' ? range(x.e0Ms, 0) : range(x.e0Ratio, 2) + (v === 'tracewire' ? mark('startupE0', x.e0Ratio) : ''))), targetText('startupE0'), peers('startupE0')],
    ['  the same, first start (tracewire: no code cache yet)', ...per((x, v) => (v === 'tracewire' && x.e0NoCacheRatio ? range(x.e0NoCacheRatio, 2) : '–')), '', ''],
    ['  node -e 0 peak RSS MB', ...per((x) => med(x.e0RssMb, 0)), '', ''],
    ['  Express app spawn → listening: ms, ÷', ...per((x, v) => (v === 'uninstrumented' ? range(x.listenMs, 0) : range(x.listenRatio, 2))), '', ''],
    ['  RSS at listening MB', ...per((x) => med(x.listenRssMb, 0)), '', ''],
  ];
}

function microRows(micro) {
  const tw = micro.summaries.tracewire;
  const ot = micro.summaries.otel;
  const row = (label, key, figure) => [label, '–', range(tw[figure], 0) + (key ? mark(key, tw[figure]) : ''), range(ot[figure], 0), '–', '–', key ? targetText(key) : '', key ? peers(key) : ''];
  const rows = [
    ['Per span, one process (tracewire API vs OTel SDK; CPU time incl. processor, GC and final flush)'],
    row('  ns/span: start + 3 attributes + end, no-op export', 'spanNs', 'spanNs'),
    row('  CPU ns/span incl. OTLP/protobuf export', 'exportCpuNs', 'exportCpuNs'),
    row('  ns per parent+child pair (active-span API)', null, 'pairNs'),
    row('  heap bytes per queued span', 'heapBytesPerSpan', 'heapBytesPerSpan'),
  ];
  if (!tw.exportNoDrops || !ot.exportNoDrops) rows.push([`  ! export phase lost spans: tracewire ${tw.exportNoDrops ? 'none' : 'SOME'}, OTel ${ot.exportNoDrops ? 'none' : 'SOME'}`]);
  return rows;
}

function footprintRows(fp) {
  const cell = (r, key) => {
    if (!r) return 'n/a';
    if (r.skipped) return 'skipped (--quick)';
    if (r.error) return 'not measured';
    return key === 'packages' ? String(r.packages) : `${num(r.mb, 2)} (${num(r.diskMb, 1)} disk)`;
  };
  const rows = [['Install footprint (npm install into an empty project)']];
  for (const key of ['packages', 'MB']) {
    const tk = key === 'packages' ? 'installPackages' : 'installMb';
    const tv = fp.tracewire && !fp.tracewire.error ? (key === 'packages' ? fp.tracewire.packages : fp.tracewire.diskMb) : null;
    const ok = meets(tk, tv);
    rows.push([`  ${key}`, '–', cell(fp.tracewire, key) + (ok === null ? '' : ok ? ' ✓' : ' ✗'), '–', cell(fp['otel-sdk-node+auto'], key), cell(fp['dd-trace'], key), targetText(tk), peers(tk)]);
  }
  rows.push(['  (OTel auto column: @opentelemetry/sdk-node + auto-instrumentations-node; MB = apparent size, "disk" = allocated blocks)']);
  return rows;
}

function render(rows) {
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length > 1).map((r) => String(r[i] ?? '').length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' │ ');
  const out = [line(HEADER), widths.map((w) => '─'.repeat(w)).join('─┼─')];
  for (const r of rows) out.push(r.length === 1 ? r[0] : line(r));
  return out.join('\n');
}

/** A warning when other processes took a real share of the server CPU during the HTTP runs. */
function busyWarning(results) {
  const shares = [];
  for (const r of Object.values(results.scenarios)) {
    for (const runs of Object.values((r && r.runs) || {})) for (const run of runs) if (run && Number.isFinite(run.otherLoadPct)) shares.push(run.otherLoadPct);
  }
  if (shares.length === 0) return '';
  const sorted = shares.sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  return median > 10
    ? `\n! Other processes used a median ${median.toFixed(0)}% (max ${sorted[sorted.length - 1].toFixed(0)}%) of the server CPU during the HTTP runs:\n  req/s and latency say as much about them as about the variants. CPU µs/request and the per-span\n  figures (CPU time of the process itself) hold up better. Rerun on a quiet machine.`
    : '';
}

/**
 * With --baseline: tracewire against the baseline build, per scenario. Both
 * ran in the same rounds and slices, so their per-round ratio is paired too.
 */
function baselineLines(results) {
  const lines = [];
  for (const sc of results.scenarioList) {
    const r = results.scenarios[sc.name];
    const s = r && r.summaries;
    if (!s || !s.baseline || !s.tracewire) continue;
    const pick = (v, key) => (r.runs[v] || []).map((run) => (run && !run.error ? run[key] : NaN));
    const rps = summary(pairedRatios(pick('tracewire', 'rps'), pick('baseline', 'rps')));
    const cpu = summary(pairedRatios(pick('tracewire', 'cpuUsPerRequest'), pick('baseline', 'cpuUsPerRequest')));
    lines.push(
      `  ${sc.title}: req/s ÷ uninstr. ${range(s.tracewire.rpsRatio, 2)} vs baseline ${range(s.baseline.rpsRatio, 2)}; ` +
        `CPU ${med(s.tracewire.cpuRatio, 2)}× vs ${med(s.baseline.cpuRatio, 2)}×; ` +
        `this build ÷ baseline, paired per round: req/s ${range(rps, 3)}, CPU/request ${range(cpu, 3)}`,
    );
  }
  if (lines.length === 0) return '';
  return `\nThis build against the baseline build (${results.settings.baseline}), same rounds and slices:\n${lines.join('\n')}`;
}

/** The table as text, from the results object run.js builds. */
function formatTable(results) {
  const rows = [];
  for (const sc of results.scenarioList) {
    const r = results.scenarios[sc.name];
    if (r && r.skipped) rows.push([`${sc.title}: skipped (${r.skipped})`]);
    else if (r) rows.push(...scenarioRows(sc.name, sc.title, r, sc.requiredSpans));
  }
  if (results.startup) rows.push(...startupRows(results.startup));
  if (results.micro) rows.push(...microRows(results.micro));
  if (results.footprint) rows.push(...footprintRows(results.footprint));
  return render(rows) + baselineLines(results) + busyWarning(results);
}

module.exports = { formatTable };
