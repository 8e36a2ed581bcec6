// The terminal waterfall: a header line, then one line per span in tree order
// with its bar on a fixed-width timeline. Pure: trace in, string out.
import { errorText, isErrorSpan } from './model';
import { offsetMs, summarize, traceBounds, TraceData, treeOrder } from './trace';

export interface WaterfallOptions {
  /** Timeline columns. Default 40. */
  width?: number;
  /** ANSI colours. Default false. */
  color?: boolean;
}

/** Longer labels (indentation + service + name) are cut with an ellipsis. */
const MAX_LABEL = 60;
const BAR = '█';

const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';
const DIM = '\x1b[2m';
const RED = '\x1b[31m';
// Red is kept for errors.
const SERVICE_COLORS = ['\x1b[36m', '\x1b[32m', '\x1b[33m', '\x1b[34m', '\x1b[35m', '\x1b[96m', '\x1b[92m', '\x1b[94m'];

export function formatMs(ms: number): string {
  return `${ms >= 1 ? ms.toFixed(1) : ms.toFixed(2)} ms`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function serviceColor(service: string): string {
  let hash = 0;
  for (let i = 0; i < service.length; i++) hash = (hash * 31 + service.charCodeAt(i)) >>> 0;
  return SERVICE_COLORS[hash % SERVICE_COLORS.length];
}

/** Span data is untrusted: control characters (an ANSI escape in a span name) must not reach the terminal. */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, '\uFFFD');
}

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** Columns [from, to) of a span's bar on a timeline of `width` columns; at least one column. */
export function barColumns(offsetMs: number, durationMs: number, totalMs: number, width: number): [number, number] {
  if (totalMs <= 0) return [0, 1];
  const from = Math.min(width - 1, Math.max(0, Math.floor((offsetMs / totalMs) * width)));
  // The epsilon keeps float noise (x.0000001) from widening a bar by a column.
  const to = Math.min(width, Math.ceil(((offsetMs + durationMs) / totalMs) * width - 1e-9));
  return [from, Math.max(from + 1, to)];
}

export function renderWaterfall(trace: TraceData & { droppedSpans?: number }, options: WaterfallOptions = {}): string {
  const width = options.width ?? 40;
  const paint = options.color ? (code: string, text: string) => `${code}${text}${RESET}` : (_code: string, text: string) => text;
  const summary = summarize(trace);
  const { startNs, durationMs: totalMs } = traceBounds(trace.spans);

  const errors = plural(summary.errorCount, 'error');
  const dropped = trace.droppedSpans ? `  (${plural(trace.droppedSpans, 'span')} dropped: trace too large)` : '';
  const header =
    `${paint(BOLD, `trace ${trace.traceId}`)}  ${paint(serviceColor(summary.rootService), printable(summary.rootService))} ${printable(summary.rootName)}` +
    `  ${formatMs(summary.durationMs)}  ${plural(summary.spanCount, 'span')}  ${summary.errorCount > 0 ? paint(RED, errors) : errors}${dropped}`;

  const rows = treeOrder(trace.spans);
  const labelWidth = Math.min(MAX_LABEL, Math.max(0, ...rows.map((r) => 2 * r.depth + r.span.service.length + 2 + r.span.name.length)));
  const durations = rows.map((r) => formatMs(r.span.durationMs));
  const durationWidth = Math.max(0, ...durations.map((d) => d.length));

  const lines = rows.map(({ span, depth }, i) => {
    const error = isErrorSpan(span);
    const indent = '  '.repeat(depth);
    // Cut the plain label first, then colour the service part that survived.
    const service = printable(span.service);
    const label = fit(`${indent}${service}  ${printable(span.name)}`, labelWidth);
    const serviceEnd = Math.min(label.length, indent.length + service.length);
    const coloredLabel = label.slice(0, indent.length) + paint(serviceColor(span.service), label.slice(indent.length, serviceEnd)) + label.slice(serviceEnd);
    const [from, to] = barColumns(offsetMs(span, startNs), span.durationMs, totalMs, width);
    const bar = ' '.repeat(from) + paint(error ? RED : serviceColor(span.service), BAR.repeat(to - from)) + ' '.repeat(width - to);
    const mark = error ? `  ${paint(RED, `✗ ${printable(errorText(span).split('\n')[0])}`)}` : '';
    return `${coloredLabel}  ${paint(DIM, '│')}${bar}${paint(DIM, '│')} ${durations[i].padStart(durationWidth)}${mark}`;
  });
  return [header, ...lines].join('\n') + '\n';
}
