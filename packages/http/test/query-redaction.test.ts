// Query keys users add to the redaction list (TRACEWIRE_REDACT_QUERY_KEYS and
// configureHttp's redactQueryKeys), seen on real spans: a server's url.query
// and a client's url.full.
import { log, SpanKind } from '@tracewire/core';
import { configureHttp } from '../src';
import { listen, only, Running, send, useTracing } from './helpers';

const tracing = useTracing();
let app: Running;

beforeAll(async () => {
  app = await listen((_req, res) => res.end('ok'));
});
afterAll(() => app.close());
afterEach(() => {
  delete process.env.TRACEWIRE_REDACT_QUERY_KEYS;
  configureHttp({});
});

const QUERY = 'pin=1234&customer_ref=c-9&api_key=k&page=2';

/** The url.query of the server span and the url.full of the client span of one request to `/p?${QUERY}`. */
async function recorded(): Promise<{ query: unknown; full: unknown }> {
  await send({ port: app.port, host: '127.0.0.1', path: `/p?${QUERY}` });
  const spans = await tracing.exporter.waitFor(2);
  return { query: only(spans, SpanKind.SERVER).attributes['url.query'], full: only(spans, SpanKind.CLIENT).attributes['url.full'] };
}

it('redacts only the default names unless told more', async () => {
  expect(await recorded()).toEqual({ query: 'pin=1234&customer_ref=c-9&api_key=REDACTED&page=2', full: `${app.url}/p?pin=1234&customer_ref=c-9&api_key=REDACTED&page=2` });
});

it('adds the names of TRACEWIRE_REDACT_QUERY_KEYS (comma-separated) to the defaults', async () => {
  process.env.TRACEWIRE_REDACT_QUERY_KEYS = ' pin, customerRef ,';
  configureHttp({});
  const redacted = 'pin=REDACTED&customer_ref=REDACTED&api_key=REDACTED&page=2';
  expect(await recorded()).toEqual({ query: redacted, full: `${app.url}/p?${redacted}` });
});

it("adds configureHttp's redactQueryKeys to both", async () => {
  process.env.TRACEWIRE_REDACT_QUERY_KEYS = 'pin';
  configureHttp({ redactQueryKeys: ['customer-ref'] });
  expect((await recorded()).query).toBe('pin=REDACTED&customer_ref=REDACTED&api_key=REDACTED&page=2');
});

it('says which configured name can match nothing', async () => {
  const warnings: string[] = [];
  const warn = jest.spyOn(log, 'warn').mockImplementation((message: string) => void warnings.push(message));
  try {
    configureHttp({ redactQueryKeys: ['[]', 'pin'] });
  } finally {
    warn.mockRestore();
  }
  expect(warnings).toEqual([
    '@tracewire/http: query key "[]" to redact has no letter or digit and matches nothing; list key names such as api_key,session_id.',
  ]);
  expect((await recorded()).query).toBe('pin=REDACTED&customer_ref=c-9&api_key=REDACTED&page=2');
});
