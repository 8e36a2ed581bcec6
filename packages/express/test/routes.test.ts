// http.route for real Express 4 and 5 apps on 127.0.0.1: one table of
// requests → expected template per major, run with the middleware line and
// with the patches alone (what the preload gives), driven by supertest and axios.
import axios from 'axios';
import request from 'supertest';
import { tracing } from '../src';
import { App, EXPRESSES, express4, express5, ExpressModule, onlyServerSpan, Running, serve, serverSpansSettled, traceEachTest } from './helpers';

const traced = traceEachTest();

/** The routes every major supports; returns the app. */
function buildApp(express: ExpressModule, withMiddleware: boolean): App {
  const app = express();
  if (withMiddleware) app.use(tracing());
  const ok = (req: { params: unknown }, res: { json(b: unknown): void }): void => res.json(req.params);

  app.get('/', ok);
  app.get('/users/special', (_req: unknown, _res: unknown, next: (s: string) => void) => next('route'));
  app.get('/users/:id', ok);
  app.get(['/a', '/b'], ok);
  app.get(/\/ab?cd/, ok);
  app.route('/book').get(ok).post(ok);

  const api = express.Router();
  const v1 = express.Router();
  v1.get('/users/:id', ok);
  api.use('/v1', v1);
  api.get('/', ok);
  app.use('/api', api);

  const plain = express.Router();
  plain.get('/plain', ok);
  app.use(plain);

  const admin = express();
  admin.get('/users/:id', ok);
  const reports = express.Router();
  reports.get('/:year', ok);
  admin.use('/reports', reports);
  app.use('/admin', admin);

  const repos = express.Router({ mergeParams: true });
  repos.get('/repos/:repo', ok);
  app.use('/orgs/:org', repos);

  const either = express.Router();
  either.get('/z', ok);
  app.use(['/x', '/y'], either);

  app.use('/guarded', (_req: unknown, _res: unknown, next: (e: Error) => void) => next(Object.assign(new Error('no'), { status: 403 })));
  return app;
}

/** [request path, expected http.route (undefined: none), status] for both majors. */
const COMMON: Array<[string, string | undefined, number]> = [
  ['/', '/', 200],
  ['/users/42', '/users/:id', 200],
  ['/users/42?x=1', '/users/:id', 200],
  ['/USERS/42', '/users/:id', 200],
  ['/users/special', '/users/:id', 200],
  ['/a', '/a', 200],
  ['/b', '/b', 200],
  ['/acd', '/\\/ab?cd/', 200],
  ['/abcd', '/\\/ab?cd/', 200],
  ['/book', '/book', 200],
  ['/api/v1/users/7', '/api/v1/users/:id', 200],
  ['/api', '/api', 200],
  ['/api/', '/api', 200],
  ['/plain', '/plain', 200],
  ['/admin/users/3', '/admin/users/:id', 200],
  ['/admin/reports/2024', '/admin/reports/:year', 200],
  ['/orgs/acme/repos/tw', '/orgs/:org/repos/:repo', 200],
  ['/x/z', '/x/z', 200],
  ['/y/z', '/y/z', 200],
  ['/nope', undefined, 404],
  ['/api/v1/nope', undefined, 404],
  ['/admin/nope', undefined, 404],
  ['/guarded/thing', undefined, 403],
];

const ONLY: Record<string, { add(app: App): void; table: Array<[string, string | undefined, number]> }> = {
  'express 4': {
    add(app) {
      const ok = (_req: unknown, res: { send(b: string): void }): void => res.send('ok');
      app.get('/ab?ef', ok);
      app.get('/files/*', ok);
      app.get('/opt/:id?', ok);
    },
    table: [
      ['/abef', '/ab?ef', 200],
      ['/aef', '/ab?ef', 200],
      ['/files/a/b.txt', '/files/*', 200],
      ['/opt', '/opt/:id?', 200],
      ['/opt/3', '/opt/:id?', 200],
    ],
  },
  'express 5': {
    add(app) {
      const ok = (_req: unknown, res: { send(b: string): void }): void => res.send('ok');
      app.get('/static/{*splat}', ok);
      app.get('/assets{/*rest}', ok);
      app.get('/files/*path', ok);
      app.get('/opt{/:id}', ok);
      app.get('/later/:id', async (_req: unknown, res: { send(b: string): void }) => {
        await new Promise((r) => setTimeout(r, 5));
        res.send('later');
      });
    },
    table: [
      ['/static/a/b.css', '/static/{*splat}', 200],
      ['/static', undefined, 404],
      ['/assets', '/assets{/*rest}', 200],
      ['/assets/x/y', '/assets{/*rest}', 200],
      ['/files/a/b.txt', '/files/*path', 200],
      ['/opt', '/opt{/:id}', 200],
      ['/opt/3', '/opt{/:id}', 200],
      ['/later/1', '/later/:id', 200],
    ],
  },
};

describe.each(EXPRESSES)('%s', (name, express) => {
  describe.each([
    ['with tracing()', true],
    ['with the patches alone (preload)', false],
  ])('%s', (_mode, withMiddleware) => {
    let app: App;
    let running: Running;
    beforeAll(async () => {
      app = buildApp(express, withMiddleware);
      ONLY[name].add(app);
      running = await serve(app);
    });
    afterAll(() => running.close());

    test.each([...COMMON, ...ONLY[name].table])('GET %s → http.route %s', async (path, route, status) => {
      const res = await request(running.url).get(path);
      expect(res.status).toBe(status);
      const span = onlyServerSpan(await serverSpansSettled(traced.exporter));
      expect(span.attributes['http.route']).toBe(route);
      expect(span.name).toBe(route === undefined ? 'GET' : `GET ${route}`);
      expect(span.attributes['http.response.status_code']).toBe(status);
    });

    test('axios: POST and HEAD are named after their own method', async () => {
      const post = await axios.post(`${running.url}/book`, { a: 1 });
      expect(post.status).toBe(200);
      const head = await axios.head(`${running.url}/users/9`);
      expect(head.status).toBe(200);
      const spans = (await serverSpansSettled(traced.exporter, 2)).filter((s) => s.kind === 1);
      expect(spans.map((s) => s.name).sort()).toEqual(['HEAD /users/:id', 'POST /book']);
    });

    test('a method the route does not answer is a 404 with no route', async () => {
      const res = await request(running.url).delete('/users/1');
      expect(res.status).toBe(404);
      const span = onlyServerSpan(await serverSpansSettled(traced.exporter));
      expect(span.name).toBe('DELETE');
      expect(span.attributes['http.route']).toBeUndefined();
    });

    test('concurrent requests through the same nested routers keep their own templates', async () => {
      const paths = ['/api/v1/users/1', '/admin/reports/2023', '/orgs/o/repos/r', '/y/z', '/nope', '/b'];
      await Promise.all(paths.flatMap((p) => [request(running.url).get(p), axios.get(`${running.url}${p}`, { validateStatus: () => true })]));
      const spans = (await serverSpansSettled(traced.exporter, paths.length * 2)).filter((s) => s.kind === 1);
      const byPath = new Map<unknown, Set<unknown>>();
      for (const s of spans) {
        const set = byPath.get(s.attributes['url.path']) ?? new Set();
        set.add(s.attributes['http.route']);
        byPath.set(s.attributes['url.path'], set);
      }
      expect(Object.fromEntries([...byPath].map(([p, routes]) => [p, [...routes]]))).toEqual({
        '/api/v1/users/1': ['/api/v1/users/:id'],
        '/admin/reports/2023': ['/admin/reports/:year'],
        '/orgs/o/repos/r': ['/orgs/:org/repos/:repo'],
        '/y/z': ['/y/z'],
        '/nope': [undefined],
        '/b': ['/b'],
      });
    });
  });
});

test('Express 4 apps and Express 5 apps in one process each keep their own router code', () => {
  expect(express4.Router).not.toBe(express5.Router);
});
