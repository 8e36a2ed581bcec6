import * as http from 'http';
import * as https from 'https';
import { enabledInstrumentations, InMemoryExporter, isPatched, Sdk, SpanKind } from '@tracewire/core';
import { disable, enable, httpInstrumentation } from '../src';
import { listen, send, sleep, startSdk } from './helpers';

let sdk: Sdk;
let exporter: InMemoryExporter;

beforeAll(() => {
  ({ sdk, exporter } = startSdk());
});

afterAll(async () => {
  disable();
  await sdk.shutdown();
});

const own = (target: object, name: string): boolean => Object.prototype.hasOwnProperty.call(target, name);

function snapshot(): Record<string, unknown> {
  return {
    'http.request': http.request,
    'http.get': http.get,
    'https.request': https.request,
    'https.get': https.get,
    'http.Server.prototype.emit': http.Server.prototype.emit,
    'https.Server.prototype.emit': https.Server.prototype.emit,
    'IncomingMessage.prototype.emit': http.IncomingMessage.prototype.emit,
    'ServerResponse.prototype.emit': http.ServerResponse.prototype.emit,
    'ClientRequest.prototype.emit': http.ClientRequest.prototype.emit,
    ownEmits: [http.Server, https.Server, http.IncomingMessage, http.ServerResponse, http.ClientRequest].map((c) => own(c.prototype, 'emit')),
  };
}

it('patches every entry point, idempotently, and restores every original on disable', async () => {
  const before = snapshot();
  enable();
  enable();
  expect(enabledInstrumentations()).toContain('@tracewire/http');
  expect(httpInstrumentation.modules.map(isPatched)).toEqual([true, true]);
  const patched = snapshot();
  for (const key of Object.keys(before)) if (key !== 'ownEmits') expect([key, patched[key] !== before[key]]).toEqual([key, true]);

  const app = await listen((_req, res) => res.end('ok'));
  try {
    expect((await send({ host: '127.0.0.1', port: app.port })).body).toBe('ok');
    await exporter.waitFor(2);
    expect(exporter.spans.map((s) => s.kind).sort()).toEqual([SpanKind.SERVER, SpanKind.CLIENT]);

    disable();
    expect(snapshot()).toEqual(before);
    // (Compared with `before`, not with "unpatched": Jest shares builtins between the test files of a worker.)
    expect(http.request).toBe(before['http.request']);

    exporter.reset();
    expect((await send({ host: '127.0.0.1', port: app.port })).body).toBe('ok');
    expect(await (await fetch(app.url)).text()).toBe('ok');
    await sleep(30);
    expect(exporter.spans).toHaveLength(0);
  } finally {
    await app.close();
  }
});

it('can be enabled again after being disabled', async () => {
  enable();
  const app = await listen((_req, res) => res.end('again'));
  try {
    exporter.reset();
    expect(await (await fetch(app.url)).text()).toBe('again');
    await exporter.waitFor(2);
    expect(exporter.spans.map((s) => s.kind).sort()).toEqual([SpanKind.SERVER, SpanKind.CLIENT]);
  } finally {
    await app.close();
    disable();
  }
});

it('lets requests in flight when it is disabled finish normally', async () => {
  enable();
  let release!: () => void;
  const app = await listen((_req, res) => {
    release = () => res.end('finished');
  });
  try {
    const answer = send({ host: '127.0.0.1', port: app.port });
    while (release === undefined) await sleep(5);
    disable();
    release();
    expect((await answer).body).toBe('finished');
  } finally {
    await app.close();
  }
});
