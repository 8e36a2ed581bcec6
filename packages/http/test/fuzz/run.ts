// Drives generated headers through what a traced service really does with
// them, under every propagator configuration: extract the inbound headers,
// start the SERVER span from them, start a CLIENT span and write the outgoing
// request's headers (outgoingHeaders, as http/https/fetch do; the app's own
// headers forwarded or set in some cases), and plain inject (what OTel-API
// code calls). Checks: nothing throws, every header written is valid per its
// spec (validate.ts), at most 8 KiB added, a valid inbound traceparent is
// continued, and the heap does not grow with the number of cases. A sample
// goes through real servers too: hostile bytes on a socket into a traced
// server whose handler calls a second server.
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as net from 'net';
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import {
  Carrier,
  contextWithSpan,
  extract,
  getTracer,
  inject,
  outgoingHeaders,
  outgoingParent,
  ROOT_CONTEXT,
  SpanKind,
  suppressTracing,
} from '@tracewire/core';
import { configurePropagation } from '@tracewire/core/dist/propagation-api';
import { ownPropagationHeaders } from '../../src/shared';
import { appHeaders, Headers, inboundHeaders } from './generate';
import { caseSeed, random } from './random';
import { checkOutgoing } from './validate';

export const BUDGET = 8192;

/** Every propagator alone, the default pair, Jaeger with W3C baggage (baggage sent twice), and all five. */
export const CONFIGURATIONS = [
  'tracecontext',
  'baggage',
  'b3',
  'b3multi',
  'jaeger',
  'tracecontext,baggage',
  'jaeger,baggage',
  'tracecontext,baggage,b3,b3multi,jaeger',
];

export interface Failure {
  configuration: string;
  /** Replays the case: the run's seed and the case's index. */
  seed: number;
  index: number;
  problems: string[];
  inbound: string;
}

export interface Report {
  cases: number;
  seed: number;
  failures: Failure[];
  /** Cases whose inbound headers named a parent that was continued. */
  continued: number;
  /** Heap used after a forced GC, after warm-up and at the end. */
  heapBefore: number;
  heapAfter: number;
  millis: number;
}

const tracer = getTracer('header-fuzz');
const Bytes = Buffer;
const SERVER = { kind: SpanKind.SERVER };
const CLIENT = { kind: SpanKind.CLIENT };
const MAX_FAILURES_KEPT = 20;

/** A forced full GC (v8's --expose-gc, turned on for a context made after it). */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function heapUsed(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** The start of a case's inbound headers, for a failure report: a copy, so a kept failure does not hold the
 *  whole (up to megabytes of) JSON a slice would point into. */
function preview(headers: Headers): string {
  const text = JSON.stringify(headers, (_, v: unknown) => (typeof v === 'bigint' || typeof v === 'symbol' ? String(v) : v)) ?? String(headers);
  return text.length > 600 ? Bytes.from(`${text.slice(0, 600)}…`).toString() : text;
}

/** The trace id a traceparent valid per the spec names, with version 00 (what must then be continued), within
 *  the 8192 characters tracewire reads of a header. */
function validParentTrace(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 8192) return undefined;
  const match = /^[ \t]*00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}[ \t]*$/.exec(value);
  if (match === null || /^0+$/.test(match[1]) || /^0+$/.test(match[2])) return undefined;
  return match[1];
}

/** One case through the propagation path: its problems and whether an inbound parent was continued. */
function runCase(configuration: string, seed: number, index: number): { problems: string[]; continued: boolean; inbound: Headers } {
  const r = random(caseSeed(seed, index));
  const inbound = inboundHeaders(r);
  const mode = r.next();
  // A proxy forwards what came in; an app sets its own baggage or a job's traceparent.
  const ownSource = mode < 0.15 ? inbound : mode < 0.3 ? appHeaders(r) : undefined;
  const problems: string[] = [];
  let continued = false;
  try {
    const own = ownPropagationHeaders(ownSource);
    const extracted = extract(ROOT_CONTEXT, inbound as Carrier);
    const server = tracer.startSpan('fuzz', SERVER, extracted);
    const serving = contextWithSpan(extracted, server);
    const client = tracer.startSpan('fuzz', CLIENT, outgoingParent(serving, own));
    const sending = contextWithSpan(serving, client);
    const headers = outgoingHeaders(sending, own);
    const ownBaggage = own?.baggage === undefined ? undefined : ([] as string[]).concat(own.baggage as string | string[]).join(',').replace(/^[ \t]+|[ \t]+$/g, '');
    problems.push(...checkOutgoing(headers, { ownBaggage, budget: BUDGET }));
    const plain: Carrier = {};
    inject(sending, plain);
    problems.push(...checkOutgoing(plain).map((p) => `inject: ${p}`));
    // Only where traceparent is the one trace header read (with several, the last propagator listed wins).
    const onlyW3c = configuration === 'tracecontext' || configuration === 'tracecontext,baggage';
    const parentTrace = onlyW3c && own?.traceparent === undefined ? validParentTrace(inbound.traceparent) : undefined;
    if (parentTrace !== undefined) {
      continued = true;
      const sent = String(headers.traceparent).split('-')[1];
      if (sent !== parentTrace) problems.push(`the valid inbound traceparent of trace ${parentTrace} was not continued (sent ${sent})`);
    }
    client.end();
    server.end();
  } catch (error) {
    problems.push(`threw: ${(error as Error)?.stack ?? String(error)}`);
  }
  return { problems, continued, inbound };
}

/** Carriers that are not header objects at all, as OTel-API callers may pass them: extract must not throw. */
const ODD_CARRIERS: readonly unknown[] = [null, undefined, 42, 'traceparent', ['traceparent'], new Map([['traceparent', 'x']]), Object.create(null)];

/** `cases` cases, spread evenly over the configurations. */
export function fuzzPropagation(cases: number, seed: number): Report {
  const started = Date.now();
  const failures: Failure[] = [];
  let failed = 0;
  let continued = 0;
  const perConfiguration = Math.ceil(cases / CONFIGURATIONS.length);
  const warmUp = Math.min(200, Math.floor(perConfiguration / 4));
  let heapBefore = 0;
  let index = 0;
  try {
    for (let pass = 0; pass < 2; pass++) {
      // The first pass warms every configuration up, so what stays allocated for good is in the baseline.
      for (const configuration of CONFIGURATIONS) {
        configurePropagation(configuration);
        if (pass === 1) {
          for (const carrier of ODD_CARRIERS) {
            try {
              extract(ROOT_CONTEXT, carrier as Carrier);
            } catch (error) {
              failed++;
              if (failures.length < MAX_FAILURES_KEPT) failures.push({ configuration, seed, index: -1, problems: [`extract threw on ${String(carrier)}: ${(error as Error).message}`], inbound: '' });
            }
          }
        }
        const count = pass === 0 ? warmUp : perConfiguration;
        for (let i = 0; i < count && (pass === 0 || index < cases); i++) {
          const caseIndex = pass === 0 ? -1 - i : index++;
          const result = runCase(configuration, seed, pass === 0 ? 1e9 + i : caseIndex);
          if (pass === 0) continue;
          if (result.continued) continued++;
          if (result.problems.length > 0) {
            failed++;
            if (failures.length < MAX_FAILURES_KEPT) failures.push({ configuration, seed, index: caseIndex, problems: result.problems, inbound: preview(result.inbound) });
          }
        }
      }
      if (pass === 0) heapBefore = heapUsed();
    }
  } finally {
    configurePropagation(undefined);
  }
  const heapAfter = heapUsed();
  if (failed > failures.length) failures.push({ configuration: '', seed, index: -1, problems: [`… and ${failed - failures.length} more failing cases`], inbound: '' });
  return { cases: index, seed, failures, continued, heapBefore, heapAfter, millis: Date.now() - started };
}

/** Replays one case (from a failure's seed and index) and returns its problems. */
export function replay(configuration: string, seed: number, index: number): string[] {
  configurePropagation(configuration);
  try {
    return runCase(configuration, seed, index).problems;
  } finally {
    configurePropagation(undefined);
  }
}

// Through real servers.

const TRACE_HEADER = /^(traceparent|tracestate|baggage|b3|x-b3-[a-z]+|uber-trace-id|uberctx-.+)$/;

export interface HttpReport {
  cases: number;
  seed: number;
  /** How A answered: status → count (200: B answered A; 400/431: Node refused the hostile request itself). */
  statuses: Record<string, number>;
  failures: Failure[];
  millis: number;
}

interface Sent {
  /** The app's own trace headers on the request A made (forwarded or set), by lowercase name. */
  own: Record<string, string>;
}

function listen(handler: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Characters Node's parser refuses in a header value (controls but HTAB): most requests have them
// replaced, so that they reach the handler; the rest check that a refused request harms nothing.
const REFUSED = /[\x00-\x08\x0a-\x1f\x7f]/g;

/** The raw request for `headers` (arrays as repeated lines), as bytes: UTF-8 text arrives as latin1 mojibake, as from a real client. */
function rawRequest(index: number, mode: string, headers: Headers, deliverable: boolean): Buffer {
  let head = `GET /case/${index} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Fuzz-Mode: ${mode}\r\n`;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== 'string' && typeof v !== 'number') continue;
      head += `${name}: ${deliverable ? String(v).replace(REFUSED, '?') : String(v)}\r\n`;
    }
  }
  return Buffer.from(`${head}\r\n`, 'utf8');
}

function exchange(port: number, request: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    // Written, not ended: a client that half-closes gets no answer from a handler that answers later.
    socket.write(request);
    socket.setTimeout(10000, () => socket.destroy());
  });
}

const MODES = ['plain', 'proxy', 'app', 'fetch'] as const;

/**
 * `cases` requests with generated headers, sent raw to a traced server A whose
 * handler calls server B (untraced) with http.get/http.request or fetch:
 * plainly, forwarding the inbound trace headers (a proxy), or with the app's
 * own. A must answer every request Node accepted with B's 200; what B received
 * from tracewire must pass the checks. Propagators: all five.
 */
export async function fuzzHttp(cases: number, seed: number): Promise<HttpReport> {
  const started = Date.now();
  const sent = new Map<number, Sent>();
  const received = new Map<number, string[]>();
  const b = await suppressTracing(() =>
    listen((req, res) => {
      received.set(Number(req.url?.split('/')[2]), req.rawHeaders);
      res.end('ok');
    }),
  );
  const bPort = (b.address() as AddressInfo).port;
  const a = await listen((req, res) => {
    const index = Number(req.url?.split('/')[2]);
    const mode = req.headers['x-fuzz-mode'];
    const r = random(caseSeed(seed, index) ^ 0x5a5a);
    let own: Record<string, string> = {};
    if (mode === 'proxy') {
      for (const name of Object.keys(req.headers)) if (TRACE_HEADER.test(name) && typeof req.headers[name] === 'string') own[name] = req.headers[name] as string;
    } else if (mode === 'app') {
      own = appHeaders(r) as Record<string, string>;
    }
    sent.set(index, { own });
    const path = `/case/${index}`;
    const answer = (status: number): void => void res.end(String(status));
    const failed = (error: Error): void => void res.end(`A's call failed: ${error.message}`);
    if (mode === 'fetch') {
      fetch(`http://127.0.0.1:${bPort}${path}`, { headers: own }).then((response) => response.text().then(() => answer(response.status)), failed);
    } else {
      const call = mode === 'proxy' ? http.request({ host: '127.0.0.1', port: bPort, path, headers: own }) : http.get({ host: '127.0.0.1', port: bPort, path, headers: own });
      call.on('response', (response) => {
        response.resume();
        response.on('end', () => answer(response.statusCode ?? 0));
      });
      call.on('error', failed);
      if (mode === 'proxy') call.end();
    }
  });
  const aPort = (a.address() as AddressInfo).port;
  const statuses: Record<string, number> = {};
  const failures: Failure[] = [];
  configurePropagation(CONFIGURATIONS[CONFIGURATIONS.length - 1]);
  try {
    for (let index = 0; index < cases; index++) {
      const r = random(caseSeed(seed, index));
      const inbound = inboundHeaders(r);
      const mode = MODES[index % MODES.length];
      const { status, body } = await exchange(aPort, rawRequest(index, mode, inbound, !r.chance(0.1)));
      statuses[status] = (statuses[status] ?? 0) + 1;
      const problems: string[] = [];
      if (status === 200) {
        if (body !== '200') problems.push(`A answered ${JSON.stringify(body.slice(0, 200))}, not B's 200`);
        const raw = received.get(index) ?? [];
        const own = sent.get(index)?.own ?? {};
        // What B got from tracewire: trace headers the app did not send as they are.
        const written: Record<string, unknown> = {};
        for (let i = 0; i + 1 < raw.length; i += 2) {
          const name = raw[i].toLowerCase();
          if (TRACE_HEADER.test(name) && own[name] !== raw[i + 1]) written[name] = written[name] === undefined ? raw[i + 1] : `${String(written[name])},${raw[i + 1]}`;
        }
        const ownBaggage = own.baggage?.replace(/^[ \t]+|[ \t]+$/g, '');
        problems.push(...checkOutgoing(written, { ownBaggage, budget: BUDGET }));
      } else if (status !== 400 && status !== 431) {
        problems.push(`A answered ${status} ${JSON.stringify(body.slice(0, 200))}`);
      }
      if (problems.length > 0 && failures.length < MAX_FAILURES_KEPT) failures.push({ configuration: `http ${mode}`, seed, index, problems, inbound: preview(inbound) });
      sent.delete(index);
      received.delete(index);
    }
  } finally {
    configurePropagation(undefined);
    await new Promise((resolve) => a.close(resolve));
    await new Promise((resolve) => b.close(resolve));
  }
  return { cases, seed, statuses, failures, millis: Date.now() - started };
}
