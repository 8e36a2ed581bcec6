// HTTP delivery shared by the OTLP and Zipkin exporters: one POST at a time,
// retried with backoff on the answers that mean "try again later", always
// inside the export timeout, never throwing, never traced, never keeping the
// process alive (its timers and sockets are unref'ed; an exit flush holds the
// process for a bounded time instead, sdk.ts). A collector's back-off holds
// every batch, not just the one it answered: nothing is sent until it is over.
// Requests go through the small HTTP/1.1 client in http1.ts, not node:http: it
// costs far less per request, and its requests are not the ones
// instrumentations see, so they are never traced (its socket work also runs
// with tracing suppressed whenever a context is active).
import { now } from '../clock';
import { log } from '../logger';
import { ExportResult, ExportResultCode, ReadableSpan, Resource, SpanExporter } from '../types';
import { VERSION } from '../version';
import { Http1Client, Http1Result, WriteTracker } from './http1';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  initialBackoffMillis: number;
  maxBackoffMillis: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, initialBackoffMillis: 1000, maxBackoffMillis: 5000 };

/** Longest pause a collector's Retry-After gets: a longer one is cut to this, so a misconfigured collector cannot stop export for hours. */
const MAX_PAUSE_MILLIS = 60_000;

/** Statuses OTLP/HTTP says are transient; everything else non-2xx is final. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

const USER_AGENT = `tracewire/${VERSION}`;
const MAX_ERROR_BODY = 256;
/** How long after start-up the endpoint is checked (a process that ends sooner is told by its exit flush). */
const PROBE_DELAY_MILLIS = 200;

export interface PostRequest {
  url: URL;
  client: Http1Client;
  body: Uint8Array;
  /** Budget for all attempts and the waits between them. */
  timeoutMillis: number;
  retry: RetryPolicy;
  /** The collector's back-off, shared with the other batches: waited out before every attempt. */
  backoff: Backoff;
  /** Cuts the waits short (shutdown, process exit); the attempt in flight finishes. */
  waits: Waits;
  /** Told when a write of `body` starts and when it is done (so its memory can be reused after). */
  writes?: WriteTracker;
}

export interface PostOutcome {
  ok: boolean;
  attempts: number;
  statusCode?: number;
  error?: Error;
}

interface AttemptResult {
  statusCode?: number;
  retryable: boolean;
  retryAfterMillis?: number;
  error?: Error;
}

/** Retry-After as a delay in ms: delay-seconds or an HTTP-date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined, nowEpochMillis: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // HTTP-dates (all three RFC 9110 forms) start with a day name; Date.parse alone accepts "-1".
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowEpochMillis);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so clients spread out. */
export function backoffMillis(retryIndex: number, policy: RetryPolicy, random: number = Math.random()): number {
  const ceiling = Math.min(policy.initialBackoffMillis * 2 ** retryIndex, policy.maxBackoffMillis);
  return ceiling / 2 + (random * ceiling) / 2;
}

/** The pause after the `failures`-th retryable failure in a row (0-based): what the collector asked for, capped, else exponential backoff. */
export function pauseMillis(retryAfterMillis: number | undefined, failures: number, policy: RetryPolicy, random: number = Math.random()): number {
  if (retryAfterMillis !== undefined) return Math.min(retryAfterMillis, MAX_PAUSE_MILLIS);
  return backoffMillis(failures, policy, random);
}

/**
 * The collector's back-off, across batches: after an answer that means "try
 * again later" (429, 502, 503, 504, a connection refused, reset or timed out)
 * nothing is sent until the pause it asked for (Retry-After) or the
 * exponential backoff of the failures in a row has passed.
 */
export class Backoff {
  /** now() before which nothing is sent. */
  private until = 0;
  private failures = 0;

  constructor(private readonly policy: RetryPolicy) {}

  /** Milliseconds left of the pause; 0 when a request may go now. */
  remaining(): number {
    return this.until === 0 ? 0 : Math.max(0, this.until - now());
  }

  succeeded(): void {
    this.failures = 0;
    this.until = 0;
  }

  failed(retryAfterMillis: number | undefined): void {
    this.until = Math.max(this.until, now() + pauseMillis(retryAfterMillis, this.failures++, this.policy));
  }
}

/** The waits between attempts, all cut short at once when waiting no longer makes sense. */
export class Waits {
  /** Why no wait should start now ('exporter shut down', 'process exiting'), if so. */
  stopped: string | undefined;
  private readonly wakers = new Set<() => void>();

  /** Resolves true after `ms`, or false as soon as the waits are stopped. */
  sleep(ms: number): Promise<boolean> {
    if (this.stopped !== undefined) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.wakers.delete(wake);
        resolve(true);
      }, ms);
      timer.unref();
      this.wakers.add(wake);
    });
  }

  stop(why: string): void {
    this.stopped = why;
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }
}

/** Where a request went, without credentials or query (they may hold secrets). */
function describe(url: URL): string {
  return `POST ${url.origin}${url.pathname}`;
}

function isTextual(contentType: string | undefined): boolean {
  return contentType !== undefined && /json|text/i.test(contentType);
}

function attempt(request: PostRequest, timeoutMillis: number): Promise<AttemptResult> {
  return new Promise((resolve) => {
    request.client.post(request.body, timeoutMillis, (result: Http1Result) => resolve(toAttemptResult(request.url, result)), request.writes);
  });
}

function toAttemptResult(url: URL, result: Http1Result): AttemptResult {
  const response = result.response;
  if (response === undefined) {
    // Connect and socket errors and timeouts may pass; a malformed answer will not.
    return { retryable: result.transport === true, error: new Error(`${describe(url)}: ${result.error?.message ?? 'no response'}`) };
  }
  const statusCode = response.statusCode;
  if (statusCode >= 200 && statusCode < 300) return { statusCode, retryable: false };
  const excerpt = isTextual(response.contentType) ? response.excerpt.slice(0, MAX_ERROR_BODY).trim() : '';
  const detail = excerpt ? `: ${excerpt}` : '';
  return {
    statusCode,
    retryable: RETRYABLE_STATUS.has(statusCode),
    retryAfterMillis: parseRetryAfter(response.retryAfter, Date.now()),
    error: new Error(`${describe(url)}: HTTP ${statusCode} ${response.statusMessage}${detail}`.trim()),
  };
}

/** POSTs `body` once the back-off allows, retrying transient failures until the budget runs out. Never rejects. */
export async function postWithRetry(request: PostRequest): Promise<PostOutcome> {
  const { backoff, waits } = request;
  const deadline = now() + request.timeoutMillis;
  let attempts = 0;
  let result: AttemptResult | undefined;
  const giveUp = (why: string, pause: number): PostOutcome => {
    if (result === undefined) {
      const left = `${Math.ceil(pause / 1000)} s left`;
      return { ok: false, attempts, error: new Error(`${describe(request.url)}: not sent during the back-off after a failed export (${left}; ${why})`) };
    }
    return { ok: false, attempts, statusCode: result.statusCode, error: new Error(`${result.error?.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${why})`) };
  };
  for (;;) {
    const pause = backoff.remaining();
    if (pause > 0) {
      // A server asking for more time than the budget has left is not retried
      // early against its wishes: the batch fails now, later ones wait.
      const why = waits.stopped ?? (now() + pause >= deadline ? `export timeout of ${request.timeoutMillis} ms reached` : undefined);
      if (why !== undefined) return giveUp(why, pause);
      if (!(await waits.sleep(pause))) return giveUp(waits.stopped ?? 'stopped', pause);
    }
    attempts++;
    result = await attempt(request, Math.max(1, Math.ceil(deadline - now())));
    if (!result.error) {
      backoff.succeeded();
      return { ok: true, attempts, statusCode: result.statusCode };
    }
    if (!result.retryable) return { ok: false, attempts, statusCode: result.statusCode, error: result.error };
    backoff.failed(result.retryAfterMillis);
    if (attempts > request.retry.maxRetries) return giveUp('retries exhausted', 0);
  }
}

export type Compression = 'gzip' | 'none';

export interface ExporterStats {
  exportedSpans: number;
  failedSpans: number;
  retries: number;
}

export interface HttpSpanExporterOptions {
  url: string;
  headers: Record<string, string>;
  contentType: string;
  compression: Compression;
  /** Budget of one export call, retries included. */
  timeoutMillis: number;
  maxRetries?: number;
  initialBackoffMillis?: number;
  maxBackoffMillis?: number;
  encode: (spans: readonly ReadableSpan[], resource: Resource) => Uint8Array | string;
  /** Called with what `encode` returned once nothing reads it any more (e.g. to reuse the memory). */
  release?: (encoded: Uint8Array) => void;
  /** The variable that sets the endpoint, named when nothing listens there. */
  endpointVariable?: string;
}

/** What to tell a user whose collector cannot be reached at start-up. Pure. */
export function unreachableMessage(url: URL, error: Error & { code?: string }, endpointVariable: string | undefined): string {
  const why = error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? error.message);
  const set = endpointVariable ? `set ${endpointVariable} to your collector's address` : "point the exporter at your collector's address";
  return `nothing accepts connections at ${url.origin}${url.pathname} (${why}): spans will be dropped until a collector listens there; ${set}, or OTEL_TRACES_EXPORTER=none to stop exporting.`;
}

function gzipAsync(body: Uint8Array): Promise<Buffer> {
  // Required here, like http: only exporters configured for gzip pay for loading zlib.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { gzip } = require('zlib') as typeof import('zlib');
  return new Promise((resolve, reject) => gzip(body, (error, out) => (error ? reject(error) : resolve(out))));
}

/** An exporter that POSTs each encoded batch: the OTLP and Zipkin exporters differ only in options. */
export class HttpSpanExporter implements SpanExporter {
  private readonly counts: ExporterStats = { exportedSpans: 0, failedSpans: 0, retries: 0 };
  private readonly url: URL;
  private client: Http1Client | undefined;
  private readonly headers: Record<string, string>;
  /** Why every export fails at once (a header Node would refuse), if any. */
  private readonly headerError: Error | undefined;
  private readonly retry: RetryPolicy;
  private shutDown = false;
  private readonly backoff: Backoff;
  private readonly waits = new Waits();
  /** Set once a delivery has started: the start-up check is then pointless. */
  private delivered = false;
  private readonly inFlight = new Set<Promise<void>>();

  /** Throws on a URL that is not http(s): a configuration error, better found at start-up than per export. */
  constructor(private readonly options: HttpSpanExporterOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new Error(`exporter URL protocol ${this.url.protocol} is not supported; use an http: or https: URL`);
    }
    // Names are case-insensitive: lower-cased, a later one replaces an earlier one.
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    for (const name of Object.keys(options.headers)) headers[name.toLowerCase()] = String(options.headers[name]);
    headers['content-type'] = options.contentType;
    if (options.compression === 'gzip') headers['content-encoding'] = 'gzip';
    this.headers = headers;
    // The client writes these as they are: names and values that could split
    // the request or the header block fail every export instead (not retried).
    const bad = Object.keys(this.headers).find((name) => !isValidHeader(name, String(this.headers[name])) || /^(host|content-length|transfer-encoding|connection)$/i.test(name));
    this.headerError = bad === undefined ? undefined : new Error(`invalid or reserved request header ${JSON.stringify(bad)}`);
    this.retry = {
      maxRetries: options.maxRetries ?? DEFAULT_RETRY.maxRetries,
      initialBackoffMillis: options.initialBackoffMillis ?? DEFAULT_RETRY.initialBackoffMillis,
      maxBackoffMillis: options.maxBackoffMillis ?? DEFAULT_RETRY.maxBackoffMillis,
    };
    this.backoff = new Backoff(this.retry);
  }

  /** Milliseconds left of the collector's back-off: the processor holds batches until then. */
  pausedMillis(): number {
    return this.backoff.remaining();
  }

  /** While the process exits, a wait between attempts would only hold the exit: failures are final then. */
  setExiting(exiting: boolean): void {
    if (this.shutDown) return;
    if (exiting) this.waits.stop('process exiting');
    else this.waits.stopped = undefined;
  }

  /**
   * Soon after start-up (on an unref'ed timer), opens a connection to the
   * endpoint and says at once if none is accepted: a service would otherwise
   * learn only at its first export, seconds later, that its spans go nowhere.
   */
  checkEndpointSoon(delayMillis: number = PROBE_DELAY_MILLIS): void {
    const timer = setTimeout(() => {
      if (this.shutDown || this.delivered) return;
      this.client ??= new Http1Client(this.url, this.headers);
      this.client.probe((error) => {
        if (error !== undefined) log.warn(unreachableMessage(this.url, error, this.options.endpointVariable));
      });
    }, delayMillis);
    timer.unref();
  }

  /** Spans acknowledged by the receiver, spans given up on, and retries made. */
  get stats(): ExporterStats {
    return { ...this.counts };
  }

  export(spans: readonly ReadableSpan[], resource: Resource, done: (result: ExportResult) => void): void {
    if (this.shutDown) {
      this.counts.failedSpans += spans.length;
      done({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') });
      return;
    }
    if (spans.length === 0) {
      done({ code: ExportResultCode.SUCCESS });
      return;
    }
    const delivery = this.deliver(spans, resource).then((outcome) => {
      this.inFlight.delete(delivery);
      this.counts.retries += Math.max(0, outcome.attempts - 1);
      if (outcome.ok) {
        this.counts.exportedSpans += spans.length;
        done({ code: ExportResultCode.SUCCESS });
      } else {
        this.counts.failedSpans += spans.length;
        done({ code: ExportResultCode.FAILED, error: outcome.error });
      }
    });
    this.inFlight.add(delivery);
  }

  /** Stops retries, lets the attempts in flight end (bounded by the timeout), closes sockets. */
  async shutdown(): Promise<void> {
    this.shutDown = true;
    this.waits.stop('exporter shut down');
    await Promise.all([...this.inFlight]);
    this.client?.destroy();
  }

  private async deliver(spans: readonly ReadableSpan[], resource: Resource): Promise<PostOutcome> {
    this.delivered = true;
    const release = this.options.release;
    let encoded: Uint8Array | string;
    let body: Uint8Array;
    try {
      encoded = this.options.encode(spans, resource);
      body = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
    } catch (error) {
      return encodeFailure(error);
    }
    if (this.options.compression === 'gzip') {
      try {
        body = await gzipAsync(body);
      } catch (error) {
        return encodeFailure(error);
      } finally {
        // gzip has read all of it (or failed): the encoded bytes can go back.
        if (typeof encoded !== 'string') release?.(encoded);
      }
    }
    // The encoded bytes themselves are the body: they go back once the request
    // is over and no write of them is pending.
    const lease = release !== undefined && body === encoded ? new BodyLease(body, release) : undefined;
    try {
      if (this.headerError) return { ok: false, attempts: 1, error: new Error(`${describe(this.url)}: ${this.headerError.message}`) };
      this.client ??= new Http1Client(this.url, this.headers);
      return await postWithRetry({
        url: this.url,
        client: this.client,
        body,
        timeoutMillis: this.options.timeoutMillis,
        retry: this.retry,
        backoff: this.backoff,
        waits: this.waits,
        writes: lease,
      });
    } finally {
      lease?.finish();
    }
  }
}

function encodeFailure(error: unknown): PostOutcome {
  const reason = error instanceof Error ? error.message : String(error);
  return { ok: false, attempts: 0, error: new Error(`could not encode or compress spans: ${reason}`) };
}

/** Counts the writes of a body in flight; calls `release` once they are done and the request is over. */
class BodyLease implements WriteTracker {
  private writes = 0;
  private over = false;
  private released = false;

  constructor(
    private readonly body: Uint8Array,
    private readonly release: (body: Uint8Array) => void,
  ) {}

  started(): void {
    this.writes++;
  }

  written(): void {
    this.writes--;
    this.check();
  }

  finish(): void {
    this.over = true;
    this.check();
  }

  private check(): void {
    if (this.over && this.writes === 0 && !this.released) {
      this.released = true;
      this.release(this.body);
    }
  }
}

// RFC 9110 token characters for names; values without control characters
// (CR/LF would split the request). The same rules Node enforces when sending.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function isValidHeader(name: string, value: string): boolean {
  return HEADER_NAME.test(name) && HEADER_VALUE.test(value);
}

export function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A positive number of ms from an environment variable, or `fallback` with a warning. */
export function timeoutFromEnv(name: string, raw: string | undefined, fallback: number, warnings: string[]): number {
  const value = raw?.trim();
  if (!value) return fallback;
  const ms = Number(value);
  if (Number.isFinite(ms) && ms > 0) return ms;
  warnings.push(`${name}=${JSON.stringify(value)} is not a positive number of milliseconds; using ${fallback}.`);
  return fallback;
}
