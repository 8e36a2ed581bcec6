// A small HTTP/1.1 client for the exporters: it POSTs one body and reads the
// answer's status, the few headers the exporters use, and the start of the
// body. node:http would do, but per request it costs several times more CPU
// (ClientRequest and IncomingMessage objects, header objects, streams, agent
// bookkeeping), which at one request per batch is a large part of the cost of
// exporting a span; and, being what instrumentations patch and what its
// diagnostics channels report, it needs care so tracewire's own requests are
// never traced. Here a request is one write of head + body on a kept-alive
// socket (net, or tls for https) and a parse of one response.
//
// Bounded: response heads over 64 KiB are an error; only the first 256 bytes
// of a body are kept, and a body over 1 MiB is not read (the socket is closed
// instead of reused). Every socket always has an 'error' listener and is
// unref'ed, busy or idle: an export never keeps the process alive (a
// collector that never answers would hold a finished process for the whole
// request timeout); exit paths hold the process for a bounded flush instead.
import type { Socket } from 'net';
import { untraced } from '../context';

export interface Http1Response {
  statusCode: number;
  statusMessage: string;
  contentType: string | undefined;
  retryAfter: string | undefined;
  /** The first bytes of the body (latin1), at most EXCERPT_BYTES. */
  excerpt: string;
}

export interface Http1Result {
  response?: Http1Response;
  error?: Error;
  /** The request never reached a server that answered (connect or socket error, timeout). */
  transport?: boolean;
  /** @internal A reused socket failed before any byte of an answer: likely closed by the server while idle. */
  stale?: boolean;
}

/** Told when a write of a request body starts and when it is done (flushed, failed or cancelled). */
export interface WriteTracker {
  started(): void;
  written(): void;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 1024 * 1024;
const EXCERPT_BYTES = 256;
const IDLE_SOCKETS = 2;
/** A connect that takes longer is not reported: only a refusal or a failure that comes quickly is. */
const PROBE_TIMEOUT_MILLIS = 2000;
const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1');

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked' } | { kind: 'close' } | { kind: 'none' };

interface Pending {
  /** Bytes received for the current response, not yet consumed. */
  data: Buffer | undefined;
  response: Http1Response | undefined;
  framing: Framing | undefined;
  keepAlive: boolean;
  bodyBytes: number;
  excerpt: Buffer[];
  excerptBytes: number;
  gotBytes: boolean;
  finish: (result: Http1Result, reusable: boolean) => void;
}

/** One socket and, while a request is on it, that request's parse state. */
class Connection {
  pending: Pending | undefined;
  closed = false;
  /** Set once it has carried a response: a failure before any answer on it may just be a stale keep-alive. */
  used = false;

  constructor(
    readonly socket: Socket,
    private readonly onGone: (connection: Connection) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) => this.fail(error));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => {
      this.closed = true;
      this.fail(new Error('socket closed before the response was complete'));
      this.onGone(this);
    });
  }

  private fail(error: Error): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    pending.finish({ error, transport: true, stale: this.used && !pending.gotBytes }, false);
    this.socket.destroy();
  }

  private onEnd(): void {
    const pending = this.pending;
    // Close-delimited body: the end of the stream is the end of the response.
    if (pending !== undefined && pending.response !== undefined && pending.framing?.kind === 'close') {
      this.complete(pending, false);
      return;
    }
    this.fail(new Error('connection closed by the server before the response was complete'));
  }

  private complete(pending: Pending, reusable: boolean): void {
    this.pending = undefined;
    this.used = true;
    const response = pending.response as Http1Response;
    if (pending.excerpt.length > 0) response.excerpt = Buffer.concat(pending.excerpt).toString('latin1', 0, EXCERPT_BYTES);
    pending.finish({ response }, reusable && pending.keepAlive);
    if (!(reusable && pending.keepAlive)) this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const pending = this.pending;
    if (pending === undefined) {
      // Bytes nobody asked for: the connection is out of step; drop it.
      this.socket.destroy();
      return;
    }
    pending.gotBytes = true;
    let data = pending.data === undefined ? chunk : Buffer.concat([pending.data, chunk]);
    pending.data = undefined;
    for (;;) {
      if (pending.response === undefined) {
        const headEnd = data.indexOf(CRLF_CRLF);
        if (headEnd < 0) {
          if (data.length > MAX_HEAD_BYTES) return this.protocolError(`response head larger than ${MAX_HEAD_BYTES} bytes`);
          pending.data = data;
          return;
        }
        const head = parseHead(data.toString('latin1', 0, headEnd));
        if (head instanceof Error) return this.protocolError(head.message);
        data = data.subarray(headEnd + 4);
        // 1xx (100 Continue, 103 Early Hints): informational, the real answer follows.
        if (head.response.statusCode < 200) continue;
        pending.response = head.response;
        pending.framing = head.framing;
        pending.keepAlive = head.keepAlive;
        if (head.framing.kind === 'length' && head.framing.remaining > MAX_BODY_BYTES) return this.complete(pending, false);
      }
      const framing = pending.framing as Framing;
      if (framing.kind === 'none') return this.complete(pending, data.length === 0);
      if (framing.kind === 'length') {
        const take = Math.min(framing.remaining, data.length);
        this.body(pending, data, 0, take);
        framing.remaining -= take;
        if (framing.remaining === 0) return this.complete(pending, data.length === take);
        return;
      }
      if (framing.kind === 'close') {
        this.body(pending, data, 0, data.length);
        if (pending.bodyBytes > MAX_BODY_BYTES) return this.complete(pending, false);
        return;
      }
      // Chunked: "<hex size>[;ext]\r\n<data>\r\n" … "0\r\n<trailers>\r\n".
      const parsed = this.chunks(pending, data);
      if (parsed === 'error') return;
      if (parsed === 'done') return this.complete(pending, true);
      return;
    }
  }

  /** Consumes whole chunks from `data`; keeps an incomplete tail for the next read. */
  private chunks(pending: Pending, data: Buffer): 'more' | 'done' | 'error' {
    let at = 0;
    for (;;) {
      const lineEnd = data.indexOf('\r\n', at, 'latin1');
      if (lineEnd < 0) break;
      const sizeText = data.toString('latin1', at, lineEnd).split(';', 1)[0].trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) {
        this.protocolError('bad chunk size in the response');
        return 'error';
      }
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        // The last chunk, then optional trailer lines, then an empty line.
        const after = lineEnd + 2;
        if (data.length >= after + 2 && data[after] === 13 && data[after + 1] === 10) return 'done';
        if (data.indexOf(CRLF_CRLF, lineEnd) >= 0) return 'done';
        break;
      }
      if (data.length < lineEnd + 2 + size + 2) break;
      this.body(pending, data, lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
      if (pending.bodyBytes > MAX_BODY_BYTES) {
        this.complete(pending, false);
        return 'error';
      }
    }
    const rest = data.subarray(at);
    if (rest.length > MAX_HEAD_BYTES) {
      this.protocolError('chunk too large in the response');
      return 'error';
    }
    pending.data = rest.length > 0 ? rest : undefined;
    return 'more';
  }

  private body(pending: Pending, data: Buffer, start: number, end: number): void {
    pending.bodyBytes += end - start;
    if (pending.excerptBytes < EXCERPT_BYTES && end > start) {
      const piece = data.subarray(start, Math.min(end, start + EXCERPT_BYTES - pending.excerptBytes));
      pending.excerpt.push(Buffer.from(piece));
      pending.excerptBytes += piece.length;
    }
  }

  private protocolError(message: string): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    pending.finish({ error: new Error(`invalid HTTP response: ${message}`) }, false);
    this.socket.destroy();
  }
}

interface Head {
  response: Http1Response;
  framing: Framing;
  keepAlive: boolean;
}

/** Status line and headers (the text before the blank line). */
function parseHead(text: string): Head | Error {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!status) return new Error(`bad status line ${JSON.stringify(lines[0].slice(0, 64))}`);
  const statusCode = Number(status[2]);
  let contentLength: number | undefined;
  let chunked = false;
  let connection = '';
  let contentType: string | undefined;
  let retryAfter: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) return new Error('bad content-length');
      const length = Number(value);
      if (contentLength !== undefined && contentLength !== length) return new Error('conflicting content-length');
      contentLength = length;
    } else if (name === 'transfer-encoding') chunked = /(^|,)\s*chunked\s*$/i.test(value);
    else if (name === 'connection') connection += `,${value.toLowerCase()}`;
    else if (name === 'content-type') contentType = value;
    else if (name === 'retry-after') retryAfter = value;
  }
  const http10 = status[1] === '0';
  const keepAlive = http10 ? /(^|,)\s*keep-alive\s*(,|$)/.test(connection) : !/(^|,)\s*close\s*(,|$)/.test(connection);
  let framing: Framing;
  if (statusCode === 204 || statusCode === 304) framing = { kind: 'none' };
  else if (chunked) framing = { kind: 'chunked' };
  else if (contentLength !== undefined) framing = contentLength === 0 ? { kind: 'none' } : { kind: 'length', remaining: contentLength };
  else framing = { kind: 'close' };
  return {
    response: { statusCode, statusMessage: status[3] ?? '', contentType, retryAfter, excerpt: '' },
    framing,
    keepAlive: keepAlive && framing.kind !== 'close',
  };
}

/** Sockets to one origin: a request takes an idle one or opens one, and gives it back if it can be reused. */
export class Http1Client {
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();
  private destroyed = false;
  private readonly host: string;
  private readonly port: number;
  private readonly tls: boolean;
  /** "POST <path> HTTP/1.1\r\nHost: …\r\n" + fixed headers, without Content-Length. */
  private readonly headPrefix: string;

  constructor(url: URL, headers: Record<string, string>) {
    this.tls = url.protocol === 'https:';
    // URL keeps IPv6 literals in brackets; sockets want them bare.
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port ? Number(url.port) : this.tls ? 443 : 80;
    let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    this.headPrefix = head;
  }

  /** Sends one POST; `done` is called once. */
  post(body: Uint8Array, timeoutMillis: number, done: (result: Http1Result) => void, writes?: WriteTracker): void {
    if (this.destroyed) {
      done({ error: new Error('exporter is shut down'), transport: true });
      return;
    }
    const head = `${this.headPrefix}Content-Length: ${body.length}\r\n\r\n`;
    let settled = false;
    let retriedStale = false;
    const timer = setTimeout(() => settle({ error: new Error(`no response within ${timeoutMillis} ms`), transport: true }), timeoutMillis);
    timer.unref();
    let connection: Connection;
    const settle = (result: Http1Result): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (connection?.pending !== undefined) {
        // The timer fired: give up on this socket.
        connection.pending = undefined;
        connection.socket.destroy();
      }
      done(result);
    };
    const send = (): void => {
      const reused = this.idle.length > 0;
      connection = reused ? (this.idle.pop() as Connection) : this.connect();
      const mine = connection;
      mine.pending = {
        data: undefined,
        response: undefined,
        framing: undefined,
        keepAlive: false,
        bodyBytes: 0,
        excerpt: [],
        excerptBytes: 0,
        gotBytes: false,
        finish: (result, reusable) => {
          // A kept-alive socket the server had already closed: send again, once, on a new one.
          if (result.stale === true && !settled && !retriedStale) {
            retriedStale = true;
            send();
            return;
          }
          if (reusable) this.release(mine);
          settle({ response: result.response, error: result.error, transport: result.transport });
        },
      };
      const socket = mine.socket;
      writes?.started();
      untraced(() => {
        socket.cork();
        socket.write(head, 'latin1');
        // The callback runs once the bytes are handed to the OS, or the write failed or was cancelled.
        socket.write(body, writes === undefined ? undefined : () => writes.written());
        socket.uncork();
      });
    };
    send();
  }

  private connect(): Connection {
    const options = { host: this.host, port: this.port };
    const socket = untraced(() => {
      if (this.tls) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const tls = require('tls') as typeof import('tls');
        const isIp = /^[\d.]+$|:/.test(this.host);
        return tls.connect({ ...options, servername: isIp ? undefined : this.host, ALPNProtocols: ['http/1.1'] });
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const net = require('net') as typeof import('net');
      return net.connect(options);
    });
    socket.setNoDelay(true);
    socket.unref();
    const connection = new Connection(socket, (gone) => {
      this.open.delete(gone);
      const at = this.idle.indexOf(gone);
      if (at >= 0) this.idle.splice(at, 1);
    });
    this.open.add(connection);
    return connection;
  }

  private release(connection: Connection): void {
    if (this.destroyed || connection.closed || this.idle.length >= IDLE_SOCKETS) {
      connection.socket.destroy();
      return;
    }
    this.idle.push(connection);
  }

  /** Opens a connection and closes it at once; `done` gets the connect error, if any (nothing after PROBE_TIMEOUT_MILLIS). */
  probe(done: (error: (Error & { code?: string }) | undefined) => void): void {
    const socket = untraced(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const net = require('net') as typeof import('net');
      return net.connect({ host: this.host, port: this.port });
    });
    socket.unref();
    socket.setTimeout(PROBE_TIMEOUT_MILLIS, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      done(undefined);
    });
    socket.once('error', (error) => {
      socket.destroy();
      done(error);
    });
  }

  /** Closes every socket; later posts fail at once. */
  destroy(): void {
    this.destroyed = true;
    for (const connection of this.open) connection.socket.destroy();
    this.idle.length = 0;
  }
}

