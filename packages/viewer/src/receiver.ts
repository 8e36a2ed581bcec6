// The OTLP/HTTP trace receiver: POST /v1/traces, protobuf or JSON, optionally
// gzip-compressed, body size capped. Every refusal is a 4xx with a one-line
// text/plain message naming what was wrong; nothing a client sends can throw
// out of the handler.
import { IncomingMessage, RequestListener, ServerResponse } from 'http';
import { gunzip } from 'zlib';
import { OtlpDecodeError, ViewerSpan } from './model';
import { decodeJsonRequest } from './otlp-json';
import { decodeProtoRequest } from './otlp-proto';

export const TRACES_PATH = '/v1/traces';
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface ReceiverOptions {
  /** Largest accepted body, compressed and decompressed. Default 16 MiB. */
  maxBodyBytes?: number;
  onSpans: (spans: ViewerSpan[]) => void;
}

type Format = 'protobuf' | 'json';

const FORMATS: Record<string, Format> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};

function mebibytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

function reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${message}\n`);
}

export function createReceiver(options: ReceiverOptions): RequestListener {
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tooLarge = (what: string) => `${what} larger than ${mebibytes(maxBytes)}: send smaller batches (e.g. OTEL_BSP_MAX_EXPORT_BATCH_SIZE)`;

  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== TRACES_PATH) return reply(res, 404, `not found: ${path}; OTLP traces go to POST ${TRACES_PATH}`);
    if (req.method !== 'POST') return reply(res, 405, `method ${req.method} not allowed: use POST ${TRACES_PATH}`, { Allow: 'POST' });

    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const format = FORMATS[contentType];
    if (!format) {
      const got = contentType ? `unsupported Content-Type "${contentType}"` : 'missing Content-Type';
      return reply(res, 415, `${got}: send application/x-protobuf or application/json`);
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') {
      return reply(res, 415, `unsupported Content-Encoding "${encoding}": send gzip or no encoding`);
    }
    if (Number(req.headers['content-length']) > maxBytes) return reply(res, 413, tooLarge('body'));

    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBytes) {
        // Node discards the rest of the body once the response is sent.
        refused = true;
        chunks.length = 0;
        reply(res, 413, tooLarge('body'));
      } else chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (refused) return;
      const body = Buffer.concat(chunks, size);
      if (encoding !== 'gzip') return accept(res, format, body, options.onSpans);
      gunzip(body, { maxOutputLength: maxBytes }, (error, plain) => {
        if (!error) accept(res, format, plain, options.onSpans);
        else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') reply(res, 413, tooLarge('decompressed body'));
        else reply(res, 400, `invalid gzip body: ${error.message}`);
      });
    });
  };
}

function accept(res: ServerResponse, format: Format, body: Buffer, onSpans: (spans: ViewerSpan[]) => void): void {
  let spans: ViewerSpan[];
  try {
    spans = format === 'protobuf' ? decodeProtoRequest(body) : decodeJsonRequest(body.toString('utf8'));
  } catch (error) {
    const what = format === 'protobuf' ? 'invalid OTLP protobuf' : 'invalid OTLP/JSON';
    if (error instanceof OtlpDecodeError) return reply(res, 400, `${what}: ${error.message}`);
    return reply(res, 500, `${what}: the viewer failed to decode it (${(error as Error).message}); please report this`);
  }
  onSpans(spans);
  // An empty ExportTraceServiceResponse: no bytes in protobuf, {} in JSON.
  if (format === 'protobuf') {
    res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': '0' });
    res.end();
  } else {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '2' });
    res.end('{}');
  }
}
