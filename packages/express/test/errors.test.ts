// Errors: next(err), a synchronous throw, and (Express 5) a rejected promise
// from an async handler mark the server span ERROR with an `exception` event
// and `error.type` when the response is a server error; an error the app
// answers with a 4xx, or recovers from, does not. Error handlers never invent
// a route.
import request from 'supertest';
import { SpanStatusCode } from '@tracewire/core';
import { tracing } from '../src';
import { App, EXPRESSES, express5, ExpressModule, onlyServerSpan, Running, serve, serverSpansSettled, traceEachTest } from './helpers';

const traced = traceEachTest();

class PaymentError extends Error {}

type Next = (err?: unknown) => void;
type Res = { status(n: number): Res; json(b: unknown): void; send(b?: unknown): void; sendStatus(n: number): void };

function buildApp(express: ExpressModule): App {
  const app = express();
  app.set('env', 'test');
  app.use(tracing());
  app.get('/next-error/:id', (_req: unknown, _res: unknown, next: Next) => next(new TypeError('via next')));
  app.get('/throw', () => {
    throw new PaymentError('declined');
  });
  app.get('/bad-request', (_req: unknown, _res: unknown, next: Next) => next(Object.assign(new Error('bad input'), { status: 400 })));
  app.get('/unavailable', (_req: unknown, res: Res) => res.status(503).send('later'));
  app.get('/string-error', (_req: unknown, _res: unknown, next: Next) => next('plain string'));
  app.get('/in-route-handler', (() => {
    throw new RangeError('caught by the route');
  }) as (...a: unknown[]) => void, (err: Error, _req: unknown, res: Res, _next: Next) => res.status(500).json({ caught: err.message }));

  const api = express.Router();
  const v1 = express.Router();
  v1.get('/items/:id', (_req: unknown, _res: unknown, next: Next) => next(new SyntaxError('deep')));
  api.use('/v1', v1);
  app.use('/api', api);

  app.use('/guarded', () => {
    throw new Error('before any route');
  });
  app.get('/recover', (_req: unknown, _res: unknown, next: Next) => next(new Error('recoverable')));
  // The app's own error handlers: one answers JSON 500 for /guarded and /api, one recovers /recover.
  app.use((err: Error, req: { path: string }, res: Res, next: Next) => {
    if (req.path === '/recover') return next();
    if (req.path.startsWith('/guarded') || req.path.startsWith('/api')) return res.status(500).json({ error: err.message });
    return next(err);
  });
  app.get('/recover', (_req: unknown, res: Res) => res.sendStatus(503));
  return app;
}

describe.each(EXPRESSES)('%s', (_name, express) => {
  let running: Running;
  beforeAll(async () => {
    running = await serve(buildApp(express));
  });
  afterAll(() => running.close());

  async function spanFor(path: string, status: number) {
    const res = await request(running.url).get(path);
    expect(res.status).toBe(status);
    return onlyServerSpan(await serverSpansSettled(traced.exporter));
  }

  test.each([
    ['next(err) to the default handler', '/next-error/7', '/next-error/:id', 'TypeError', 'via next'],
    ['a synchronous throw', '/throw', '/throw', 'PaymentError', 'declined'],
    ['an error from nested routers to the app error handler', '/api/v1/items/3', '/api/v1/items/:id', 'SyntaxError', 'deep'],
    ['an error a route-level error handler answers with 500', '/in-route-handler', '/in-route-handler', 'RangeError', 'caught by the route'],
  ])('%s: status ERROR, exception event, error.type, route kept', async (_case, path, route, type, message) => {
    const span = await spanFor(path, 500);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe(type);
    expect(span.attributes['http.route']).toBe(route);
    expect(span.name).toBe(`GET ${route}`);
    const events = span.events.filter((e) => e.name === 'exception');
    expect(events).toHaveLength(1);
    expect(events[0].attributes?.['exception.type']).toBe(type);
    expect(events[0].attributes?.['exception.message']).toBe(message);
  });

  test('an error in middleware before any route: the error handler does not invent a route', async () => {
    const span = await spanFor('/guarded/x', 500);
    expect(span.name).toBe('GET');
    expect(span.attributes['http.route']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
  });

  test('an error answered with a 4xx is the client\'s: no error status, no exception event', async () => {
    const span = await spanFor('/bad-request', 400);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.events).toHaveLength(0);
  });

  test('a 5xx without an exception: error.type is the status code', async () => {
    const span = await spanFor('/unavailable', 503);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('503');
    expect(span.events).toHaveLength(0);
  });

  test('an error an error handler recovered from is not blamed for a later 5xx', async () => {
    const span = await spanFor('/recover', 503);
    expect(span.attributes['error.type']).toBe('503');
    expect(span.events).toHaveLength(0);
  });

  test('next() with a string: recorded as the exception message', async () => {
    const span = await spanFor('/string-error', 500);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events[0].attributes?.['exception.message']).toBe('plain string');
  });

  test('errors are recorded once per request, however many layers pass them on', async () => {
    const span = await spanFor('/api/v1/items/9', 500);
    expect(span.events.filter((e) => e.name === 'exception')).toHaveLength(1);
  });
});

describe('express 5 async handlers', () => {
  let running: Running;
  beforeAll(async () => {
    const app = express5();
    app.set('env', 'test');
    app.use(tracing());
    app.get('/async/:id', async () => {
      await new Promise((r) => setTimeout(r, 2));
      throw new URIError('rejected');
    });
    app.get('/reject-nothing', () => Promise.reject());
    app.get('/async-ok', async (_req: unknown, res: Res) => {
      await new Promise((r) => setTimeout(r, 2));
      res.send('fine');
    });
    running = await serve(app);
  });
  afterAll(() => running.close());

  test('a rejected promise: ERROR with the rejection as exception and error.type', async () => {
    const res = await request(running.url).get('/async/1');
    expect(res.status).toBe(500);
    const span = onlyServerSpan(await serverSpansSettled(traced.exporter));
    expect(span.name).toBe('GET /async/:id');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('URIError');
    expect(span.events[0].attributes?.['exception.message']).toBe('rejected');
  });

  test('a promise rejected with nothing: router@2 turns it into an Error, recorded as such', async () => {
    const res = await request(running.url).get('/reject-nothing');
    expect(res.status).toBe(500);
    const span = onlyServerSpan(await serverSpansSettled(traced.exporter));
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events[0].attributes?.['exception.message']).toBe('Rejected promise');
  });

  test('an async handler that succeeds: no error', async () => {
    expect((await request(running.url).get('/async-ok')).text).toBe('fine');
    const span = onlyServerSpan(await serverSpansSettled(traced.exporter));
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.name).toBe('GET /async-ok');
  });
});
