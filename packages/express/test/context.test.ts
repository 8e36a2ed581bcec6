// The request's server span is the active span in its handlers, and spans
// started there are its children: synchronously, after await, in timers, in
// EventEmitter listeners, and in the request stream's own events (body
// parsing), with concurrent requests kept apart.
import { EventEmitter } from 'events';
import axios from 'axios';
import request from 'supertest';
import { SpanKind, trace } from '@tracewire/core';
import { tracing } from '../src';
import { EXPRESSES, Running, serve, serverSpans, serverSpansSettled, traceEachTest } from './helpers';

const traced = traceEachTest();

type Res = { json(b: unknown): void };
type Req = { params: Record<string, string>; body: unknown; on(e: string, fn: () => void): void };

function child(name: string): void {
  trace.startSpan(name).end();
}

describe.each(EXPRESSES)('%s', (_name, express) => {
  let running: Running;
  beforeAll(async () => {
    const app = express();
    app.use(tracing());
    app.use(express.json());
    app.post('/orders/:id', async (req: Req, res: Res) => {
      const active = trace.activeSpan() as unknown as { name: string };
      child('sync');
      await new Promise((r) => setTimeout(r, 1));
      child('after await');
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          child('in a timer');
          resolve();
        }, 1),
      );
      const emitter = new EventEmitter();
      const heard = new Promise<void>((resolve) =>
        emitter.on('ready', () => {
          child('in a listener');
          resolve();
        }),
      );
      setImmediate(() => emitter.emit('ready'));
      await heard;
      res.json({ active: active.name, body: req.body, id: req.params.id });
    });
    app.post('/stream', (req: Req, res: Res) => {
      req.on('data', () => child('on data'));
      req.on('end', () => {
        child('on end');
        res.json({});
      });
    });
    running = await serve(app);
  });
  afterAll(() => running.close());

  test('the active span in a handler is the server span; spans started across await, timers and listeners are its children', async () => {
    const res = await request(running.url).post('/orders/5').send({ qty: 2 });
    expect(res.body).toEqual({ active: 'POST /orders/:id', body: { qty: 2 }, id: '5' });
    const spans = await serverSpansSettled(traced.exporter);
    const [server] = serverSpans(spans);
    const children = spans.filter((s) => s.kind === SpanKind.INTERNAL);
    expect(children.map((s) => s.name)).toEqual(['sync', 'after await', 'in a timer', 'in a listener']);
    for (const c of children) {
      expect(c.parentSpanId).toBe(server.spanId);
      expect(c.traceId).toBe(server.traceId);
    }
  });

  test('the request stream\'s own events run in the request\'s context', async () => {
    await axios.post(`${running.url}/stream`, 'x'.repeat(10), { headers: { 'content-type': 'text/plain' } });
    const spans = await serverSpansSettled(traced.exporter);
    const [server] = serverSpans(spans);
    const names = spans.filter((s) => s.kind === SpanKind.INTERNAL).map((s) => [s.name, s.parentSpanId]);
    expect(names).toEqual([
      ['on data', server.spanId],
      ['on end', server.spanId],
    ]);
  });

  test('concurrent requests: every child lands under its own request', async () => {
    await Promise.all([1, 2, 3, 4, 5].map((n) => request(running.url).post(`/orders/${n}`).send({ n })));
    const spans = await serverSpansSettled(traced.exporter, 5);
    const servers = serverSpans(spans);
    expect(servers).toHaveLength(5);
    const ids = new Set(servers.map((s) => s.spanId));
    const children = spans.filter((s) => s.kind === SpanKind.INTERNAL);
    expect(children).toHaveLength(20);
    for (const server of servers) expect(children.filter((c) => c.parentSpanId === server.spanId)).toHaveLength(4);
    for (const c of children) expect(ids.has(c.parentSpanId!)).toBe(true);
  });
});
