// startViewer: the receiver, the store, the terminal printer and the web UI, wired.
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { Writable } from 'stream';
import { createReceiver, TRACES_PATH } from './receiver';
import { StoredTrace, TraceStore } from './store';
import { renderWaterfall } from './waterfall';
import { createWebApp } from './web';

export interface ViewerOptions {
  /** OTLP/HTTP receiver port. Default 4318; 0 picks a free one. */
  otlpPort?: number;
  /** Web UI port. Default 16686; 0 picks a free one. */
  httpPort?: number;
  /** Interface both servers listen on. Default 127.0.0.1. */
  host?: string;
  /** Print each finished trace's waterfall: true (default) to stdout, false for none, or a stream. */
  print?: boolean | Writable;
  /** Store bounds; see TraceStore. */
  maxTraces?: number;
  maxSpans?: number;
  maxSpansPerTrace?: number;
  /** Quiet time after which a trace with its root is finished (and printed). Default 500 ms. */
  quietMillis?: number;
  /** Quiet time after which a trace whose root never came is finished anyway. Default 5000 ms. */
  orphanMillis?: number;
  /** Largest OTLP request body accepted (compressed and decompressed). Default 16 MiB. */
  maxBodyBytes?: number;
}

export interface Viewer {
  /** Where to send OTLP traces, e.g. http://127.0.0.1:4318/v1/traces. */
  otlpUrl: string;
  /** The web UI, e.g. http://127.0.0.1:16686. */
  webUrl: string;
  store: TraceStore;
  close(): Promise<void>;
}

/** A port the viewer could not listen on; `flag` is the CLI option that changes it. */
export class ViewerListenError extends Error {
  constructor(
    readonly code: string,
    readonly role: 'otlp' | 'web',
    readonly host: string,
    readonly port: number,
    cause: Error,
  ) {
    super(
      code === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use (${role === 'otlp' ? 'OTLP receiver' : 'web UI'})`
        : `cannot listen on ${host}:${port} (${role === 'otlp' ? 'OTLP receiver' : 'web UI'}): ${cause.message}`,
      { cause },
    );
  }
}

function listen(server: Server, port: number, host: string, role: 'otlp' | 'web'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(new ViewerListenError(error.code ?? 'ERROR', role, host, port, error));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Browsers and exporters keep connections alive; close must not wait for them.
    server.closeAllConnections();
  });
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function printer(print: boolean | Writable | undefined): ((trace: StoredTrace) => void) | undefined {
  if (print === false) return undefined;
  const stream: Writable = print === true || print === undefined ? process.stdout : print;
  const color = (stream as Writable & { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR;
  return (trace) => {
    if (!stream.writableEnded && !stream.destroyed) stream.write(`\n${renderWaterfall(trace, { color })}`);
  };
}

export async function startViewer(options: ViewerOptions = {}): Promise<Viewer> {
  const host = options.host ?? '127.0.0.1';
  const show = printer(options.print);
  const store = new TraceStore({
    maxTraces: options.maxTraces,
    maxSpans: options.maxSpans,
    maxSpansPerTrace: options.maxSpansPerTrace,
    quietMillis: options.quietMillis,
    orphanMillis: options.orphanMillis,
    onFinish: show,
  });
  const otlpServer = createServer(createReceiver({ maxBodyBytes: options.maxBodyBytes, onSpans: (spans) => store.add(spans) }));
  const webServer = createServer();
  const closeAll = async () => {
    store.close();
    await Promise.all([close(otlpServer), close(webServer)]);
  };
  try {
    const otlpPort = await listen(otlpServer, options.otlpPort ?? 4318, host, 'otlp');
    const otlpUrl = `http://${hostForUrl(host)}:${otlpPort}${TRACES_PATH}`;
    webServer.on('request', createWebApp(store, { otlpUrl }));
    const webPort = await listen(webServer, options.httpPort ?? 16686, host, 'web');
    return { otlpUrl, webUrl: `http://${hostForUrl(host)}:${webPort}`, store, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
