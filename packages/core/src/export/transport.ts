// HTTP delivery shared by the OTLP and Zipkin exporters: one POST at a time,
// retried with backoff on the answers that mean "try again later", always
// inside the export timeout, never throwing, never traced, never keeping the
// process alive by a timer. Requests go through the small HTTP/1.1 client in
// http1.ts, not node:http: it costs far less per request, and its requests are
// not the ones instrumentations see, so they are never traced (its socket work
// also runs with tracing suppressed whenever a context is active).
import { now } from '../clock';
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

/** Statuses OTLP/HTTP says are transient; everything else non-2xx is final. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

const USER_AGENT = `tracewire/${VERSION}`;
const MAX_ERROR_BODY = 256;

export interface PostRequest {
  url: URL;
  client: Http1Client;
  body: Uint8Array;
  /** Budget for all attempts and the waits between them. */
  timeoutMillis: number;
  retry: RetryPolicy;
  /** Aborting cancels the wait before the next retry; the attempt in flight finishes. */
  signal?: AbortSignal;
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

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** POSTs `body`, retrying transient failures with backoff until the budget runs out. Never rejects. */
export async function postWithRetry(request: PostRequest): Promise<PostOutcome> {
  const deadline = now() + request.timeoutMillis;
  let attempts = 0;
  for (;;) {
    attempts++;
    const result = await attempt(request, Math.max(1, Math.ceil(deadline - now())));
    if (!result.error) return { ok: true, attempts, statusCode: result.statusCode };
    const fail = (why: string): PostOutcome => ({
      ok: false,
      attempts,
      statusCode: result.statusCode,
      error: new Error(`${result.error?.message}${why}`),
    });
    if (!result.retryable) return fail('');
    if (attempts > request.retry.maxRetries) return fail(` (gave up after ${attempts} attempts)`);
    const delay = result.retryAfterMillis ?? backoffMillis(attempts - 1, request.retry);
    // A server asking for more time than the budget has left is not retried
    // early against its wishes: the batch fails now and later batches try again.
    if (now() + delay >= deadline) return fail(` (gave up after ${attempts} attempts: export timeout of ${request.timeoutMillis} ms reached)`);
    if (!(await sleep(delay, request.signal))) return fail(' (exporter shut down; not retried)');
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
  /** Made at the first delivery: AbortController's module is not loaded for a process that never exports. */
  private shutdownController: AbortController | undefined;
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
    this.shutdownController?.abort();
    await Promise.all([...this.inFlight]);
    this.client?.destroy();
  }

  private shutdownSignal(): AbortSignal {
    if (this.shutdownController === undefined) {
      this.shutdownController = new AbortController();
      // A delivery that was encoding while shutdown() ran must not start retrying now.
      if (this.shutDown) this.shutdownController.abort();
    }
    return this.shutdownController.signal;
  }

  private async deliver(spans: readonly ReadableSpan[], resource: Resource): Promise<PostOutcome> {
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
        signal: this.shutdownSignal(),
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
