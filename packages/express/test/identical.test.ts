// The app's responses do not change with tracing: status, every header (in
// order, Date aside) and body bytes, for routes that succeed, 404, throw, pass
// errors on, reject (Express 5), redirect, set cookies, answer HEAD and
// OPTIONS; through the app's own error handlers and Express's default one. The
// same app is first served with nothing traced (no SDK, http and Express
// unpatched), then with tracing() (also with middleware spans), then
// instrument()ed after the fact.
import * as http from 'http';
import { AddressInfo } from 'net';
import { disableInstrumentation, enableInstrumentation, InMemoryExporter, Sdk, start } from '@tracewire/core';
import { httpInstrumentation } from '@tracewire/http';
import { instrument, tracing, TracingOptions } from '../src';
import { App, appSpans, EXPRESSES, ExpressModule, patchBoth } from './helpers';

type Next = (err?: unknown) => void;
type Res = {
  status(n: number): Res;
  json(b: unknown): void;
  send(b?: unknown): void;
  set(h: Record<string, string>): Res;
  cookie(n: string, v: string): Res;
  redirect(url: string): void;
  sendStatus(n: number): void;
};

function buildApp(express: ExpressModule, major: string, env: string, options?: TracingOptions): App {
  const app = express();
  app.set('env', env);
  if (options !== undefined) app.use(tracing(options));
  app.use(express.json());
  app.get('/', (_req: unknown, res: Res) => res.send('home'));
  app.get('/users/:id', (req: { params: { id: string } }, res: Res) => res.json({ id: req.params.id }));
  app.route('/book').get((_req: unknown, res: Res) => res.send('book')).post((_req: unknown, res: Res) => res.sendStatus(201));
  app.post('/echo', (req: { body: unknown }, res: Res) => res.json(req.body));
  app.get('/headers', (_req: unknown, res: Res) => res.set({ 'x-custom': 'yes', 'cache-control': 'no-store' }).cookie('sid', 'abc').send('with headers'));
  app.get('/redirect', (_req: unknown, res: Res) => res.redirect('/users/1'));
  app.get('/boom', () => {
    throw new TypeError('boom');
  });
  app.get('/next-error', (_req: unknown, _res: unknown, next: Next) => next(new Error('passed on')));
  app.get('/bad', (_req: unknown, _res: unknown, next: Next) => next(Object.assign(new Error('bad input'), { status: 400, expose: true })));
  app.get('/handled', (_req: unknown, _res: unknown, next: Next) => next(new RangeError('handled')));
  if (major === 'express 5') {
    app.get('/async', async () => {
      throw new Error('rejected');
    });
  }
  const api = express.Router();
  const v1 = express.Router();
  v1.get('/items/:id', (req: { params: { id: string } }, res: Res) => res.json({ item: req.params.id }));
  v1.get('/fail', (_req: unknown, _res: unknown, next: Next) => next(new SyntaxError('deep')));
  api.use('/v1', v1);
  app.use('/api', api);
  app.use((err: Error, req: { path: string }, res: Res, next: Next) => {
    if (req.path === '/handled' || req.path.startsWith('/api')) return res.status(500).json({ error: err.message, type: err.name });
    return next(err);
  });
  return app;
}

interface Call {
  method: string;
  path: string;
  body?: string;
}

const CALLS: Call[] = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/users/7?x=1' },
  { method: 'HEAD', path: '/users/7' },
  { method: 'OPTIONS', path: '/book' },
  { method: 'POST', path: '/book' },
  { method: 'POST', path: '/echo', body: '{"a":[1,2]}' },
  { method: 'POST', path: '/echo', body: '{"broken' },
  { method: 'GET', path: '/headers' },
  { method: 'GET', path: '/redirect' },
  { method: 'GET', path: '/nope' },
  { method: 'DELETE', path: '/users/7' },
  { method: 'GET', path: '/boom' },
  { method: 'GET', path: '/next-error' },
  { method: 'GET', path: '/bad' },
  { method: 'GET', path: '/handled' },
  { method: 'GET', path: '/api/v1/items/3' },
  { method: 'GET', path: '/api/v1/fail' },
  { method: 'GET', path: '/api/v1/missing' },
  { method: 'GET', path: '/async' },
  { method: 'GET', path: '/users/%E0%A4%A' },
];

interface Raw {
  call: string;
  status: number;
  headers: string[];
  body: string;
}

function send(port: number, call: Call): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: call.method, path: call.path, agent: false, headers: call.body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            if (res.rawHeaders[i].toLowerCase() !== 'date') headers.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
          }
          resolve({ call: `${call.method} ${call.path}`, status: res.statusCode!, headers, body: Buffer.concat(chunks).toString('latin1') });
        });
      },
    );
    req.on('error', reject);
    req.end(call.body);
  });
}

/** Serves `app`, makes every call in turn, closes. */
async function record(app: App): Promise<Raw[]> {
  const server = await new Promise<http.Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const out: Raw[] = [];
    for (const call of CALLS) out.push(await send((server.address() as AddressInfo).port, call));
    // Express's default handler logs the error in a setImmediate after answering.
    await new Promise((r) => setImmediate(r));
    return out;
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/** tracewire's frames in a stack trace (its wrappers, and the AsyncLocalStorage.run that enters a context). */
const OURS = /\/packages\/(core|http|express)\/(src|dist)\/|AsyncLocalStorage\.run/;

/** One line per frame; V8's ` [as method]` alias note dropped: it names the property a frame's function was
 *  reached through, which differs once a wrapper holds that property. */
function frames(body: string): string[] {
  return body.split('<br>').map((line) => line.replace(/ \[as [\w$]+\]/, ''));
}

const untraced = new Map<string, Raw[]>();
const untracedDev = new Map<string, Raw[]>();
const builtBefore = new Map<string, App>();
const exporter = new InMemoryExporter();
let sdk: Sdk;

beforeAll(async () => {
  // Express logs every error that reaches its default handler outside env 'test'.
  jest.spyOn(console, 'error').mockImplementation(() => {});
  for (const [name, express] of EXPRESSES) {
    untraced.set(name, await record(buildApp(express, name, 'production')));
    untracedDev.set(name, await record(buildApp(express, name, 'development')));
    builtBefore.set(name, buildApp(express, name, 'production'));
  }
  sdk = start({ exporter, processor: 'simple', flushOnExit: false });
  enableInstrumentation(httpInstrumentation);
  patchBoth();
});

afterAll(async () => {
  disableInstrumentation(httpInstrumentation);
  await sdk.shutdown();
});

beforeEach(() => exporter.reset());

describe.each(EXPRESSES)('%s', (name, express) => {
  test('the untraced run covers what it should', () => {
    expect(untracedDev.get(name)!.some((r) => r.body.includes('at '))).toBe(true);
    const statuses = untraced.get(name)!.map((r) => `${r.call} ${r.status}`);
    expect(statuses).toEqual(expect.arrayContaining(['GET /boom 500', 'GET /nope 404', 'GET /bad 400', 'GET /handled 500', 'POST /echo 400', 'OPTIONS /book 200']));
  });

  test.each<[string, TracingOptions]>([
    ['tracing()', {}],
    ['tracing({ middlewareSpans: true })', { middlewareSpans: true, captureRequestHeaders: ['content-type'], captureResponseHeaders: ['x-custom'] }],
  ])('with %s: byte-identical responses', async (_how, options) => {
    const traced = await record(buildApp(express, name, 'production', options));
    expect(traced).toEqual(untraced.get(name));
    expect(appSpans(exporter.spans).length).toBeGreaterThanOrEqual(CALLS.length);
  });

  test('instrument() on the app built before anything was patched: byte-identical responses', async () => {
    const traced = await record(instrument(builtBefore.get(name)!));
    expect(traced).toEqual(untraced.get(name));
    expect(appSpans(exporter.spans).map((s) => s.name)).toContain('GET /api/v1/items/:id');
  });

  // With tracing() the app has one more layer, whose Express frames a printed stack would show too; the preload adds none.
  test('outside production, where the default handler prints err.stack, under the preload: identical but for tracewire\'s frames in it', async () => {
    const traced = await record(buildApp(express, name, 'development'));
    const plain = untracedDev.get(name)!;
    for (let i = 0; i < plain.length; i++) {
      if (!OURS.test(traced[i].body)) {
        expect(traced[i]).toEqual(plain[i]);
        continue;
      }
      const lengthless = (r: Raw): string[] => r.headers.filter((h) => !/^content-length:/i.test(h));
      expect([traced[i].status, lengthless(traced[i])]).toEqual([plain[i].status, lengthless(plain[i])]);
      // Error.stackTraceLimit frames are kept: ours push the bottom ones of the plain trace out.
      const kept = frames(traced[i].body).filter((line) => !OURS.test(line));
      expect(frames(plain[i].body).slice(0, kept.length - 1)).toEqual(kept.slice(0, -1));
      expect(kept.length).toBeGreaterThan(2);
    }
  });
});
