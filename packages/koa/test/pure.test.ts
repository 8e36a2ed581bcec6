// The pure parts, table-driven: route templates from what the routers leave on
// the context, which errors are the server's, and the option shapes.
import { errorStatus, isServerError, routeTemplate } from '../src';
import { ignoreMatcher, KoaContext } from '../src/options';

const route = (path: unknown, ...methods: string[]) => ({ path, methods, stack: [] });
const use = (path: unknown) => ({ path, methods: [], stack: [] });
const get = (path: string) => route(path, 'HEAD', 'GET');

describe('routeTemplate', () => {
  const usersId = get('/users/:id');
  const usersMe = get('/users/me');
  const kRouterUse = use('/api([^/]*)');
  const postUsers = route('/users', 'POST');
  const regexRoute = route(/^\/re\/(\d+)$/, 'HEAD', 'GET');
  const table: Array<[string, unknown, unknown, string, string | undefined]> = [
    ['the route that ran', '/users/:id', [usersId], 'GET', '/users/:id'],
    ['HEAD answered by a GET route', '/users/:id', [usersId], 'HEAD', '/users/:id'],
    ['a route that did not call next() wins over a later match', '/users/me', [usersMe, usersId], 'GET', '/users/me'],
    ['a route that called next() hands on to the next one', '/users/:id', [usersMe, usersId], 'GET', '/users/:id'],
    ['router.use() ran last and stopped: the most specific route', '/api([^/]*)', [kRouterUse, get('/api/items/:id')], 'GET', '/api/items/:id'],
    ['router.use() only: no route (koa-router regex source)', '/api([^/]*)', [kRouterUse], 'GET', undefined],
    ['router.use() only: no route (@koa/router path)', '/api', [use('/api')], 'GET', undefined],
    ['path matched, method did not (405/404): no route', '/users', [postUsers], 'GET', undefined],
    ['nothing matched (404)', undefined, [], 'GET', undefined],
    ['no router ran at all', undefined, undefined, 'GET', undefined],
    ['another router that only sets _matchedRoute', '/legacy/:x', undefined, 'GET', '/legacy/:x'],
    ['a RegExp route becomes its literal', regexRoute.path, [regexRoute], 'GET', '/^\\/re\\/(\\d+)$/'],
    ['_matchedRoute that is not a route path falls back to the last route', '/stale', [get('/a'), get('/b')], 'GET', '/b'],
    ['junk in ctx.matched is skipped', '/ok', [null, 42, { methods: 'GET' }, get('/ok')], 'GET', '/ok'],
    ['an unknown method matches nothing', '/users/:id', [usersId], 'PURGE', undefined],
    ['router.all()', '/any/:x', [route('/any/:x', 'HEAD', 'GET', 'POST', 'PATCH', 'DELETE')], 'PATCH', '/any/:x'],
  ];
  test.each(table)('%s', (_name, matchedRoute, matched, method, expected) => {
    expect(routeTemplate(matchedRoute, matched, method)).toBe(expected);
  });
});

describe('errorStatus / isServerError', () => {
  const withStatus = (status: unknown, statusCode?: unknown) => Object.assign(new Error('x'), { status, statusCode });
  const table: Array<[string, unknown, number, boolean]> = [
    ['a plain Error', new Error('boom'), 500, true],
    ['ctx.throw(500)', withStatus(500), 500, true],
    ['ctx.throw(503)', withStatus(503), 503, true],
    ['ctx.throw(404)', withStatus(404), 404, false],
    ['ctx.throw(418)', withStatus(418), 418, false],
    ['statusCode only', withStatus(undefined, 401), 401, false],
    ['an unknown status', withStatus(299.5), 500, true],
    ['a status that is a string', withStatus('404'), 500, true],
    ['a thrown string', 'oops', 500, true],
    ['a thrown null', null, 500, true],
  ];
  test.each(table)('%s', (_name, error, status, server) => {
    expect(errorStatus(error)).toBe(status);
    expect(isServerError(error)).toBe(server);
  });
});

describe('ignoreMatcher', () => {
  const ctx = (path: string, skip = false) => ({ path, state: { skip } }) as unknown as KoaContext;
  const matcher = ignoreMatcher(['/health', /^\/internal\//g, (c: KoaContext) => c.state.skip === true])!;
  test.each([
    ['an exact path', '/health', false, true],
    ['not a prefix match for strings', '/health/deep', false, false],
    ['a RegExp', '/internal/metrics', false, true],
    ['a global RegExp matches every time', '/internal/metrics', false, true],
    ['a predicate', '/users', true, true],
    ['nothing', '/users', false, false],
  ])('%s', (_name, path, skip, expected) => {
    expect(matcher(ctx(path, skip))).toBe(expected);
  });

  test('nothing to ignore is no matcher at all', () => {
    expect(ignoreMatcher(undefined)).toBeUndefined();
    expect(ignoreMatcher([])).toBeUndefined();
    expect(ignoreMatcher([42])).toBeUndefined();
  });
});
