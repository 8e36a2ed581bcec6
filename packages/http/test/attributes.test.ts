import {
  errorType,
  firstListItem,
  forwardedFor,
  forwardedParam,
  forwardedScheme,
  fullUrl,
  headerAttributeKeys,
  headerValues,
  hostOf,
  isAbsoluteTarget,
  portOf,
  protocolVersion,
  redactPathQuery,
  splitAbsoluteTarget,
} from '../src/attributes';
import { compileQueryKeys, queryKeyWords, redactQuery } from '../src/query-keys';
import { withPropagationHeaders } from '../src/client';

describe('redactQuery', () => {
  it.each([
    ['', ''],
    ['q=1', 'q=1'],
    ['q=1&token=abc', 'q=1&token=REDACTED'],
    ['password=p&user=u', 'password=REDACTED&user=u'],
    ['ACCESS_TOKEN=x', 'ACCESS_TOKEN=REDACTED'],
    ['api_key=1&apikey=2&key=3&secret=4', 'api_key=REDACTED&apikey=REDACTED&key=REDACTED&secret=REDACTED'],
    ['X-Amz-Signature=abc&X-Amz-Date=20240101', 'X-Amz-Signature=REDACTED&X-Amz-Date=20240101'],
    ['AWSAccessKeyId=AKIA&Signature=s&Expires=1', 'AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1'],
    ['sig=abc&sv=2020', 'sig=REDACTED&sv=2020'],
    ['api%5Fkey=1', 'api%5Fkey=REDACTED'],
    ['%zz=1&sig=2', '%zz=1&sig=REDACTED'],
    ['token=', 'token='],
    ['token', 'token'],
    ['token=a=b&x=1', 'token=REDACTED&x=1'],
    ['a=1&&token=2&', 'a=1&&token=REDACTED&'],
    ['monkey=1&keys=2&signatures=3', 'monkey=1&keys=2&signatures=3'],
    ['a=b&a=c', 'a=b&a=c'],
  ])('%j → %j', (input, expected) => {
    expect(redactQuery(input)).toBe(expected);
  });

  it('returns the very same string when nothing is redacted', () => {
    const query = 'a=1&b=2';
    expect(redactQuery(query)).toBe(query);
  });

  it('stays linear on hostile input', () => {
    const hostile = '&'.repeat(200_000) + 'a'.repeat(200_000);
    const started = process.hrtime.bigint();
    expect(redactQuery(hostile)).toBe(hostile);
    expect(redactQuery('x'.repeat(400_000))).toHaveLength(400_000);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });

  it('redacts the query of a path', () => {
    expect(redactPathQuery('/a/b?sig=1&x=2')).toBe('/a/b?sig=REDACTED&x=2');
    expect(redactPathQuery('/a/b')).toBe('/a/b');
  });
});

describe('query keys', () => {
  // Each name in the key position of a query: `name=v&page=2`.
  const redacted = (key: string, rules = compileQueryKeys()): boolean => redactQuery(`${key}=v&page=2`, rules) === `${key}=REDACTED&page=2`;

  it.each([
    // the names issue 21 found unredacted
    'access_token', 'accessToken', 'api-key', 'apiKey', 'x-api-key', 'auth', 'auth_token', 'client_secret', 'jwt', 'otp',
    'pass', 'passphrase', 'private_key', 'secret_key', 'session', 'session_id', 'sessionid', 'token[]', 'user.password', 'code',
    // the same words spelled otherwise: case, separators, humps, paths, encoding
    'Access-Token', 'ACCESS_TOKEN', 'AccessToken', 'access.token', 'X-API-KEY', 'APIKey', 'SessionId', 'JSESSIONID', 'PHPSESSID',
    'user[password]', 'user[password][]', 'token[0]', 'items[0][token]', 'user%5Bpassword%5D', 'access%5Ftoken', 'CODE',
    // a credential word anywhere among the words, or (the longer ones) ending a word
    'accesstoken', 'authtoken', 'newPassword', 'password_confirmation', 'password1', 'x_auth', 'csrfToken', 'pageToken',
    'stripe_secret', 'otp_code', 'Authorization', 'mfa-otp', 'jwt_assertion',
    // the names redacted before
    'password', 'passwd', 'pwd', 'secret', 'token', 'refresh_token', 'id_token', 'api_key', 'apikey', 'key', 'signature', 'sig',
    'AWSAccessKeyId', 'awsaccesskeyid', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'X-Goog-Signature',
    'X-Goog-Credential', 'code_verifier',
  ])('%s is redacted', (key) => {
    expect(redacted(key)).toBe(true);
  });

  it.each([
    // a word that merely contains a credential word is another word
    'q', 'page', 'sort', 'author', 'authority', 'oauth_provider', 'passenger', 'bypass', 'compass', 'secretary', 'keyword',
    'monkey', 'keys', 'signup', 'signal', 'design', 'sessions', 'signatures', 'codec', 'zipcode', 'hotpot',
    // plurals and counts: LLM and pagination APIs send max_tokens=100, not a token
    'tokens_used', 'max_tokens', 'tokens',
    // key and code only alone: in other names they are sort keys and country codes
    'sort_key', 'key_id', 'partition-key', 'country_code', 'statusCode', 'promo_code',
    // a path is read by its last segment that is not an index
    'password.hint', 'token[type]', 'user[name]', '[]', '0', 'api_version', 'id',
  ])('%s is not redacted', (key) => {
    expect(redacted(key)).toBe(false);
  });

  it.each([
    ['accessToken', ['access', 'token']],
    ['Access-Token', ['access', 'token']],
    ['ACCESS_TOKEN', ['access', 'token']],
    ['AWSAccessKeyId', ['aws', 'access', 'key', 'id']],
    ['APIKey', ['api', 'key']],
    ['password2fa', ['password', '2', 'fa']],
    ['user.password', ['password']],
    ['user[password][0]', ['password']],
    ['token[]', ['token']],
    ['a.b[]..', ['b']],
    ['clé_privée', ['clé', 'privée']],
    ['[0]', []],
    ['--', []],
  ])('queryKeyWords(%j) → %j', (name, words) => {
    expect(queryKeyWords(name)).toEqual(words);
  });

  it('adds configured names to the defaults, matched as runs of whole words', () => {
    const rules = compileQueryKeys(['pin', 'customerRef', 'user.ssn', '[]']);
    for (const key of ['pin', 'PIN', 'card_pin', 'customer_ref', 'CustomerRef', 'old-customer-ref', 'ssn', 'form[ssn]', 'token']) {
      expect([key, redacted(key, rules)]).toEqual([key, true]);
    }
    for (const key of ['pinned', 'spin', 'customer', 'ref', 'ssns']) {
      expect([key, redacted(key, rules)]).toEqual([key, false]);
    }
  });
});

describe('host and port', () => {
  it.each([
    ['example.com', 'example.com', undefined],
    ['example.com:8080', 'example.com', 8080],
    ['[::1]:3000', '::1', 3000],
    ['[::1]', '::1', undefined],
    ['127.0.0.1:80', '127.0.0.1', 80],
    ['host:', 'host', undefined],
    ['host:99999', 'host', undefined],
    ['host:12ab', 'host', undefined],
    ['host:0', 'host', undefined],
    ['[::1', '[::1', undefined],
    ['', '', undefined],
  ])('%j → %j %j', (value, host, port) => {
    expect(hostOf(value)).toBe(host);
    expect(portOf(value)).toBe(port);
  });
});

describe('forwarded headers', () => {
  it.each([
    ['for=192.0.2.60;proto=http;by=203.0.113.43', 'for', '192.0.2.60'],
    ['for=192.0.2.60;proto=https', 'proto', 'https'],
    ['For="[2001:db8:cafe::17]:4711"', 'for', '[2001:db8:cafe::17]:4711'],
    ['for=192.0.2.43, for=198.51.100.17', 'for', '192.0.2.43'],
    ['proto=http, for=198.51.100.17', 'for', undefined],
    ['host="example.com:8443";for=1.2.3.4', 'host', 'example.com:8443'],
    ['  for = 1.2.3.4 ; host=h', 'host', 'h'],
    ['garbage', 'for', undefined],
    ['for=', 'for', undefined],
    ['for="unterminated', 'for', 'unterminated'],
    [';;;', 'for', undefined],
  ])('%j %s → %j', (value, name, expected) => {
    expect(forwardedParam(value, name)).toBe(expected);
  });

  it('reads the node of for=, skipping unknown', () => {
    expect(forwardedFor('[2001:db8:cafe::17]:4711')).toBe('2001:db8:cafe::17');
    expect(forwardedFor('unknown')).toBeUndefined();
    expect(forwardedFor('10.0.0.1')).toBe('10.0.0.1');
  });

  it('accepts only http and https as a forwarded scheme', () => {
    expect(forwardedScheme('HTTPS, http')).toBe('https');
    expect(forwardedScheme('gopher')).toBeUndefined();
  });

  it('takes the first entry of a list', () => {
    expect(firstListItem(' 1.2.3.4 , 5.6.7.8')).toBe('1.2.3.4');
    expect(firstListItem('1.2.3.4')).toBe('1.2.3.4');
    expect(firstListItem(',x')).toBe('');
  });
});

describe('request targets', () => {
  it('recognises absolute-form targets', () => {
    expect(isAbsoluteTarget('/a')).toBe(false);
    expect(isAbsoluteTarget('*')).toBe(false);
    expect(isAbsoluteTarget('http://h/a')).toBe(true);
  });

  it.each([
    ['http://example.com:8080/a?b=c', { host: 'example.com', port: 8080, path: '/a?b=c' }],
    ['http://example.com', { host: 'example.com', port: undefined, path: '/' }],
    ['http://user:pw@example.com/x', { host: 'example.com', port: undefined, path: '/x' }],
    ['http://[::1]:81?x', { host: '::1', port: 81, path: '/?x' }],
    ['http:///nohost', undefined],
  ])('%j', (target, expected) => {
    expect(splitAbsoluteTarget(target)).toEqual(expected);
  });
});

describe('fullUrl', () => {
  it.each<[Parameters<typeof fullUrl>, string]>([
    [['http:', 'example.com', 80, '/a', false], 'http://example.com/a'],
    [['https:', 'example.com', 443, '/a?token=x', false], 'https://example.com/a?token=REDACTED'],
    [['http:', 'example.com', 8080, '/', true], 'http://REDACTED:REDACTED@example.com:8080/'],
    [['http:', '::1', 3000, '/', false], 'http://[::1]:3000/'],
    [['https', 'h', undefined, '/', false], 'https://h/'],
  ])('%j → %s', (args, expected) => {
    expect(fullUrl(...args)).toBe(expected);
  });
});

describe('errorType', () => {
  it.each([
    [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    [new TypeError('x'), 'TypeError'],
    [new (class CustomError extends Error {})('x'), 'CustomError'],
    [new Error('x'), 'Error'],
    ['a string', '_OTHER'],
    [null, '_OTHER'],
    [{ code: 20, name: 'AbortError' }, 'AbortError'],
  ])('%p → %s', (error, expected) => {
    expect(errorType(error)).toBe(expected);
  });
});

describe('header capture', () => {
  it('lowercases, dedupes and drops sensitive headers unless allowed', () => {
    const names = ['X-Request-Id', 'x-request-id', 'Authorization', 'cookie', ' Content-Type ', '', 42 as unknown as string];
    expect(headerAttributeKeys(names, 'http.request.header.', false)).toEqual([
      ['x-request-id', 'http.request.header.x-request-id'],
      ['content-type', 'http.request.header.content-type'],
    ]);
    expect(headerAttributeKeys(['Authorization'], 'http.request.header.', true)).toEqual([['authorization', 'http.request.header.authorization']]);
    expect(headerAttributeKeys(undefined, 'http.response.header.', false)).toEqual([]);
  });

  it('turns header values into string arrays', () => {
    expect(headerValues('a')).toEqual(['a']);
    expect(headerValues(12)).toEqual(['12']);
    expect(headerValues(['a', 'b'])).toEqual(['a', 'b']);
    expect(headerValues(undefined)).toBeUndefined();
    expect(headerValues([])).toBeUndefined();
  });

  it('maps httpVersion to network.protocol.version', () => {
    expect(protocolVersion('1.1')).toBe('1.1');
    expect(protocolVersion('2.0')).toBe('2');
    expect(protocolVersion(undefined)).toBeUndefined();
  });
});

describe('withPropagationHeaders', () => {
  const carrier = { traceparent: 'tp', tracestate: 'ts' };

  it('creates headers when there are none', () => {
    expect(withPropagationHeaders(undefined, carrier)).toEqual(carrier);
  });

  it('copies an object, replacing propagation fields in any case', () => {
    const mine = { Accept: 'x', TraceParent: 'old' };
    const out = withPropagationHeaders(mine, carrier);
    expect(out).toEqual({ Accept: 'x', traceparent: 'tp', tracestate: 'ts' });
    expect(out).not.toBe(mine);
    expect(mine).toEqual({ Accept: 'x', TraceParent: 'old' });
  });

  it('copies raw arrays in both of their shapes', () => {
    const flat = ['Accept', 'x', 'traceparent', 'old'];
    expect(withPropagationHeaders(flat, carrier)).toEqual(['Accept', 'x', 'traceparent', 'tp', 'tracestate', 'ts']);
    expect(flat).toEqual(['Accept', 'x', 'traceparent', 'old']);
    const pairs = [['Accept', 'x'], ['TRACEPARENT', 'old']];
    expect(withPropagationHeaders(pairs, carrier)).toEqual([['Accept', 'x'], ['traceparent', 'tp'], ['tracestate', 'ts']]);
    expect(withPropagationHeaders([], carrier)).toEqual(['traceparent', 'tp', 'tracestate', 'ts']);
  });

  it('leaves shapes Node would reject alone', () => {
    expect(withPropagationHeaders(['odd'], carrier)).toBeUndefined();
    expect(withPropagationHeaders('a: b', carrier)).toBeUndefined();
  });
});
