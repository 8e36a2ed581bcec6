// The pure parts, table-driven: templates from layer paths, joining them into
// http.route, request paths, use() argument disambiguation, ignore matchers.
import { alternativesTemplate, joinRoute, pathnameOf, pathTemplate, usePath } from '../src/route';
import { ExpressRequestLike, ignoreMatcher } from '../src/options';

describe('pathTemplate', () => {
  test.each<[unknown, string | undefined]>([
    ['/users/:id', '/users/:id'],
    ['/', '/'],
    ['/{*splat}', '/{*splat}'],
    ['/files/*path', '/files/*path'],
    ['*', '*'],
    [/\/ab?cd/, '/\\/ab?cd/'],
    [/^\/x$/i, '/^\\/x$/i'],
    [42, undefined],
    [undefined, undefined],
    [['/a'], undefined],
  ])('%p → %p', (path, expected) => {
    expect(pathTemplate(path)).toBe(expected);
  });
});

describe('joinRoute', () => {
  test.each<[string[], string]>([
    [[], '/'],
    [[''], '/'],
    [['', '/'], '/'],
    [['', '/users/:id'], '/users/:id'],
    [['/api', '/v1', '/users/:id'], '/api/v1/users/:id'],
    [['', '/api', '/', '/users'], '/api/users'],
    // use() without a path, then a route: nothing added for the mount
    [['', '/', '/plain'], '/plain'],
    // a route on '/' under a mount is the mount itself
    [['', '/api', '/'], '/api'],
    // trailing slash on a mount path: one slash at the joint
    [['', '/api/', '/users'], '/api/users'],
    [['/api/', '/'], '/api/'],
    // a strict route keeps its own trailing slash
    [['/api', '/users/'], '/api/users/'],
    // parts without a leading slash ('*' in Express 4) get one at the joint
    [['', '*'], '/*'],
    [['/files', '*'], '/files/*'],
    // regex literals are appended as they are
    [['', '/\\/ab?cd/'], '/\\/ab?cd/'],
    [['/api', '/\\/ab?cd/'], '/api/\\/ab?cd/'],
    // Express 5 syntax passes through
    [['/static', '/{*splat}'], '/static/{*splat}'],
    [['/orgs/:org', '/repos/:repo'], '/orgs/:org/repos/:repo'],
  ])('%j → %s', (parts, expected) => {
    expect(joinRoute(parts)).toBe(expected);
  });
});

test('alternativesTemplate joins like OpenTelemetry', () => {
  expect(alternativesTemplate(['/a', '/b'])).toBe('/a,/b');
});

describe('pathnameOf', () => {
  test.each<[string, string]>([
    ['/a/b', '/a/b'],
    ['/a/b?x=1', '/a/b'],
    ['/a#frag', '/a'],
    ['/a?x=1#f', '/a'],
    ['/?x', '/'],
    ['http://host:8080/p/q?x', '/p/q'],
    ['http://host', '/'],
    ['*', '*'],
  ])('%s → %s', (url, expected) => {
    expect(pathnameOf(url)).toBe(expected);
  });
});

describe('usePath (what Router#use takes as its mount path)', () => {
  const fn = (): void => {};
  test.each<[string, unknown[], unknown]>([
    ['a function alone', [fn], '/'],
    ['an array of functions', [[fn, fn]], '/'],
    ['nested arrays of functions', [[[fn], fn]], '/'],
    ['a string path', ['/api', fn], '/api'],
    ['a regex path', [/x/, fn], /x/],
    ['an array of paths', [['/a', '/b'], fn], ['/a', '/b']],
    ['nothing', [], undefined],
  ])('%s', (_name, args, expected) => {
    expect(usePath(args)).toEqual(expected);
  });
});

describe('ignoreMatcher', () => {
  const req = (originalUrl: string): ExpressRequestLike => ({ originalUrl, url: originalUrl }) as ExpressRequestLike;
  test.each<[string, unknown, string, boolean]>([
    ['exact path', '/health', '/health', true],
    ['exact path, query ignored', '/health', '/health?deep=1', true],
    ['exact path, not a prefix', '/health', '/healthz', false],
    ['RegExp', /^\/internal\//, '/internal/metrics', true],
    ['RegExp miss', /^\/internal\//, '/public', false],
    ['predicate', (r: ExpressRequestLike) => r.originalUrl.includes('ping'), '/ping', true],
    ['list', ['/a', /^\/b/], '/bee', true],
    ['list miss', ['/a', /^\/b/], '/c', false],
  ])('%s', (_name, ignore, url, expected) => {
    expect(ignoreMatcher(ignore)!(req(url))).toBe(expected);
  });

  test('nothing to ignore gives no matcher', () => {
    expect(ignoreMatcher(undefined)).toBeUndefined();
    expect(ignoreMatcher([])).toBeUndefined();
    expect(ignoreMatcher([42])).toBeUndefined();
  });

  test('a global RegExp matches every time (no lastIndex carried between requests)', () => {
    const match = ignoreMatcher(/health/g)!;
    expect([match(req('/health')), match(req('/health')), match(req('/health'))]).toEqual([true, true, true]);
  });
});
