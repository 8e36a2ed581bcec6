// Patching and unpatching: the definition's ModulePatches applied to the real
// module objects, patchExpress/unpatchExpress, idempotence, restoring the very
// same functions, stepping aside for someone who wrapped on top, refusing what
// is not Express; instrument(app) on apps built before anything was patched;
// the middleware patching Express through the app when no hook did.
import request from 'supertest';
import { disableInstrumentation, enableInstrumentation, InMemoryExporter, Sdk, start } from '@tracewire/core';
import { httpInstrumentation } from '@tracewire/http';
import { expressInstrumentation, instrument, patchExpress, tracing, unpatchExpress } from '../src';
import { App, ExpressModule, onlyServerSpan, Running, serve, serverSpansSettled, stackOf, withWarnings } from './helpers';

/* eslint-disable @typescript-eslint/no-require-imports */
// This file's own (unpatched) copies: Jest gives every test file its own module registry.
const express4 = require('express4') as ExpressModule;
const express5 = require('express') as ExpressModule;
const router4 = require('express4/lib/router/index.js') as Record<string, unknown>;
const Layer4 = require('express4/lib/router/layer.js') as { prototype: Record<string, unknown> };
const Router5 = require('router') as { prototype: Record<string, unknown> };
const Layer5 = require('router/lib/layer.js') as { prototype: Record<string, unknown> };

type Fns = Record<string, unknown>;
const pick = (o: Record<string, unknown>, names: string[]): Fns => Object.fromEntries(names.map((n) => [n, o[n]]));
const ROUTER = ['use', 'route', 'handle'];
const originals = {
  router4: pick(router4, ROUTER),
  layer4: pick(Layer4.prototype, ['handle_request', 'handle_error']),
  router5: pick(Router5.prototype, ROUTER),
  layer5: pick(Layer5.prototype, ['handleRequest', 'handleError']),
};
function current(): typeof originals {
  return {
    router4: pick(router4, ROUTER),
    layer4: pick(Layer4.prototype, ['handle_request', 'handle_error']),
    router5: pick(Router5.prototype, ROUTER),
    layer5: pick(Layer5.prototype, ['handleRequest', 'handleError']),
  };
}
function expectAllOriginal(): void {
  const now = current();
  for (const group of Object.keys(originals) as Array<keyof typeof originals>) {
    for (const name of Object.keys(originals[group])) expect([group, name, now[group][name]]).toEqual([group, name, originals[group][name]]);
  }
}
function expectNoneOriginal(): void {
  const now = current();
  for (const group of Object.keys(originals) as Array<keyof typeof originals>) {
    for (const name of Object.keys(originals[group])) expect(now[group][name]).not.toBe(originals[group][name]);
  }
}

const exporter = new InMemoryExporter();
let sdk: Sdk;
beforeAll(() => {
  sdk = start({ exporter, processor: 'simple', flushOnExit: false });
  enableInstrumentation(httpInstrumentation);
});
afterAll(async () => {
  disableInstrumentation(httpInstrumentation);
  await sdk.shutdown();
});
beforeEach(() => exporter.reset());

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});
async function routeOf(app: App, path: string, status = 200): Promise<unknown> {
  const r = await serve(app);
  running.push(r);
  const res = await request(r.url).get(path);
  expect(res.status).toBe(status);
  const span = onlyServerSpan(await serverSpansSettled(exporter));
  exporter.reset();
  return span.attributes['http.route'];
}

describe('patching the modules', () => {
  test('the ModulePatches core\'s hook applies wrap every method, once, and unpatch restores the very same functions', () => {
    const targets = [router4, Layer4, Router5, Layer5];
    const patches = expressInstrumentation.modules;
    expect(patches.map((p) => [p.module, p.versions, p.file])).toEqual([
      ['express', '>=4 <5', 'lib/router/index.js'],
      ['express', '>=4 <5', 'lib/router/layer.js'],
      ['router', '>=2 <3', undefined],
      ['router', '>=2 <3', 'lib/layer.js'],
    ]);
    patches.forEach((p, i) => p.patch(targets[i], '0.0.0'));
    expectNoneOriginal();
    const once = current();
    patches.forEach((p, i) => p.patch(targets[i], '0.0.0'));
    expect(current()).toEqual(once);
    patches.forEach((p, i) => p.unpatch(targets[i]));
    expectAllOriginal();
  });

  test('patchExpress / unpatchExpress on the express module objects', () => {
    patchExpress(express4);
    patchExpress(express5);
    expectNoneOriginal();
    unpatchExpress(express4);
    unpatchExpress(express5);
    expectAllOriginal();
  });

  test('something that is not Express is refused before anything changes', () => {
    const notARouter = { use() {}, route: 42 };
    expect(() => expressInstrumentation.modules[0].patch(notARouter, '4.0.0')).toThrow(TypeError);
    expect(typeof notARouter.use).toBe('function');
    expect(() => patchExpress({})).toThrow(/not an Express module/);
  });

  test('unpatching under someone else\'s wrapper leaves theirs in place; ours passes straight through', async () => {
    patchExpress(express5);
    const ours = Router5.prototype.handle as (...a: unknown[]) => unknown;
    const theirs = function (this: unknown, ...args: unknown[]): unknown {
      return ours.apply(this, args);
    };
    Router5.prototype.handle = theirs;
    unpatchExpress(express5);
    expect(Router5.prototype.handle).toBe(theirs);
    const app = express5();
    app.get('/users/:id', (_req: unknown, res: { send(s: string): void }) => res.send('ok'));
    expect(await routeOf(app, '/users/1')).toBeUndefined();
    Router5.prototype.handle = originals.router5.handle;
    expectAllOriginal();
  });
});

describe('instrument(app) on apps built before anything was patched', () => {
  type Res = { send(s: string): void };
  const ok = (_req: unknown, res: Res): void => res.send('ok');

  function build(express: ExpressModule): App {
    const app = express();
    const r1 = express.Router();
    const r2 = express.Router();
    r2.get('/users/:id', ok);
    r1.use('/v1', r2);
    app.use('/api', r1);
    app.get(['/a', '/b'], ok);
    const either = express.Router();
    either.get('/z', ok);
    app.use(['/x', '/y'], either);
    const admin = express();
    admin.get('/users/:id', ok);
    app.use('/admin', admin);
    const repos = express.Router({ mergeParams: true });
    repos.get('/repos/:repo', ok);
    app.use('/orgs/:org', repos);
    app.get(/\/ab?cd/, ok);
    return app;
  }

  afterAll(() => disableInstrumentation(expressInstrumentation));

  test.each<[string, ExpressModule, Array<[string, string | undefined]>]>([
    [
      'express 4 (no path strings kept on its layers: mount paths without parameters are read from what they matched)',
      express4,
      [
        ['/api/v1/users/7', '/api/v1/users/:id'],
        ['/b', '/b'],
        ['/y/z', '/y/z'],
        ['/admin/users/1', '/admin/users/:id'],
        ['/acd', '/\\/ab?cd/'],
        // a mount path with parameters cannot be recovered: no route rather than a wrong one
        ['/orgs/acme/repos/tw', undefined],
      ],
    ],
    [
      'express 5 (router@2 keeps every layer\'s path)',
      express5,
      [
        ['/api/v1/users/7', '/api/v1/users/:id'],
        ['/b', '/b'],
        ['/y/z', '/y/z'],
        ['/admin/users/1', '/admin/users/:id'],
        ['/acd', '/\\/ab?cd/'],
        ['/orgs/acme/repos/tw', '/orgs/:org/repos/:repo'],
      ],
    ],
  ])('%s', async (_name, express, table) => {
    const app = instrument(build(express));
    for (const [path, route] of table) expect([path, await routeOf(app, path)]).toEqual([path, route]);
  });

  test('the tracing middleware goes first (after Express 4\'s own query and expressInit), once', () => {
    const app4 = instrument(instrument(build(express4)));
    expect(stackOf(app4).map((l: { name: string }) => l.name).slice(0, 4)).toEqual(['query', 'expressInit', 'tracewire', 'router']);
    const app5 = instrument(instrument(build(express5)));
    expect(stackOf(app5).map((l: { name: string }) => l.name).slice(0, 2)).toEqual(['tracewire', 'router']);
  });

  test('an app with no routes yet, routes added after instrument()', async () => {
    for (const express of [express4, express5]) {
      const app = instrument(express());
      app.get('/later/:id', ok);
      expect(await routeOf(app, '/later/2')).toBe('/later/:id');
    }
  });

  test('with options, like tracing(options)', async () => {
    const app = instrument(build(express5), { requestHook: (span) => span.setAttribute('via', 'instrument') });
    const r = await serve(app);
    running.push(r);
    await request(r.url).get('/b');
    expect(onlyServerSpan(await serverSpansSettled(exporter)).attributes.via).toBe('instrument');
  });

  test('not an Express app: warned, returned unchanged', () =>
    withWarnings((warnings) => {
      const notAnApp = { use() {} };
      expect(instrument(notAnApp)).toBe(notAnApp);
      expect(warnings).toEqual([expect.stringContaining('needs an Express 4 or 5 application')]);
    }));

  test('disabling the instrumentation restores what instrument() patched through apps', () => {
    instrument(build(express4));
    instrument(build(express5));
    expectNoneOriginal();
    disableInstrumentation(expressInstrumentation);
    expectAllOriginal();
  });
});

describe('tracing() where no module hook patched Express (bundled apps, other loaders)', () => {
  afterAll(() => {
    unpatchExpress(express4);
    unpatchExpress(express5);
  });

  test.each([
    ['express 4', express4],
    ['express 5', express5],
  ])('%s: the middleware patches Express through the app on the first request', async (_name, express) => {
    expectAllOriginal();
    const app = express();
    app.use(tracing());
    const api = express.Router();
    api.get('/items/:id', (_req: unknown, res: { send(s: string): void }) => res.send('ok'));
    app.use('/api', api);
    expect(await routeOf(app, '/api/items/1')).toBe('/api/items/:id');
    expect(await routeOf(app, '/api/items/2')).toBe('/api/items/:id');
    unpatchExpress(express);
  });
});
