// End to end, in real processes, through core's module hook: the fixture apps
// started under the preload (-r and --import, CommonJS and ES modules) and with
// only the middleware line, exporting OTLP/protobuf to a receiver that decodes
// it with the official definitions. A line written inside a request carries
// the ids of the SERVER span the receiver got; a line written at start-up
// carries none; OTEL_NODE_DISABLED_INSTRUMENTATIONS=pino,winston turns it off.
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../../core/test/helpers/otlp-receiver';
import { App, FIXTURES, killChildren, LogLine, ROOT, runNode, startApp } from './helpers/processes';

const PRELOAD = '@tracewire/register';
const SERVER_KIND = 2;
const EVERY_VERSION = ['pino', 'pino8', 'pino9', 'winston', 'winston3-0'];
const CURRENT = ['pino', 'winston'];

interface Mode {
  name: string;
  args: string[];
  /** The loggers the fixture writes with (the `logger` field of its lines). */
  loggers: string[];
}

const fixture = (name: string): string => path.join(FIXTURES, name);
const MODES: Mode[] = [
  { name: 'CommonJS app, -r', args: ['-r', PRELOAD, fixture('app.cjs')], loggers: EVERY_VERSION },
  { name: 'CommonJS app, --import', args: ['--import', PRELOAD, fixture('app.cjs')], loggers: EVERY_VERSION },
  { name: 'ES module app, --import', args: ['--import', PRELOAD, fixture('app.mjs')], loggers: CURRENT },
  { name: 'ES module app, -r', args: ['-r', PRELOAD, fixture('app.mjs')], loggers: CURRENT },
  { name: 'middleware line only (pino and winston loaded first)', args: [fixture('middleware.cjs')], loggers: CURRENT },
];

let receiver: OtlpReceiver;

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'packages/register/dist/bundle.js'))) throw new Error('the preload is not built: run `npm run build` first (npm test does).');
  receiver = await startOtlpReceiver();
});
afterEach(() => {
  killChildren();
  receiver.clear();
});
afterAll(() => receiver.close());

function get(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      })
      .on('error', reject);
  });
}

const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_BSP_SCHEDULE_DELAY: '20',
  OTEL_SERVICE_NAME: 'logs-fixture',
  ...extra,
});

/** The correlation fields a line has. */
function ids(line: LogLine): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const field of ['trace_id', 'span_id', 'trace_flags']) if (field in line) found[field] = line[field];
  return found;
}

/** One request to /work; resolves with its SERVER span and the lines the app wrote at start-up and in the request. */
async function request(app: App, loggers: string[]): Promise<{ server: ReceivedSpan; boot: LogLine[]; work: LogLine[] }> {
  expect(await get(app.port, '/work')).toBe(200);
  const spans = await receiver.waitForSpans(1, 10000);
  const work = await app.waitForLines((line) => line.step === 'work', loggers.length);
  const boot = app.lines().filter((line) => line.step === 'boot');
  expect(work.map((line) => line.logger).sort()).toEqual([...loggers].sort());
  expect(boot.map((line) => line.logger).sort()).toEqual([...loggers].sort());
  const servers = spans.filter((span) => span.kind === SERVER_KIND);
  expect(servers.map((span) => span.name)).toEqual(['GET /work']);
  return { server: servers[0], boot, work };
}

describe.each(MODES)('$name', ({ args, loggers }) => {
  it('a line written in a request carries the ids of its SERVER span; a line written at start-up has none', async () => {
    const app = await startApp(args, env());
    const { server, boot, work } = await request(app, loggers);
    for (const line of work) expect([line.logger, ids(line)]).toEqual([line.logger, { trace_id: server.traceId, span_id: server.spanId, trace_flags: '01' }]);
    for (const line of boot) expect([line.logger, ids(line)]).toEqual([line.logger, {}]);
    expect(app.stderr()).toBe('');
  });

  it('OTEL_NODE_DISABLED_INSTRUMENTATIONS=pino,winston: the request is traced, its lines carry no ids', async () => {
    const app = await startApp(args, env({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pino,winston' }));
    const { work } = await request(app, loggers);
    for (const line of work) expect([line.logger, ids(line)]).toEqual([line.logger, {}]);
    expect(app.stderr()).toBe('');
  });
});

describe('the preload’s start-up cost', () => {
  const cached = "console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('/packages/logs/'))))";
  const logsFiles = async (code: string): Promise<string[]> => {
    const result = await runNode(['-r', PRELOAD, '-e', `${code}; ${cached}`], { OTEL_TRACES_EXPORTER: 'none' });
    expect(result.stderr).toBe('');
    return (JSON.parse(result.stdout) as string[]).map((file) => path.relative(path.join(ROOT, 'packages/logs'), file)).sort();
  };

  it('no log correlation file loads until the app loads pino or winston, and then only what that one needs', async () => {
    expect(await logsFiles('')).toEqual([]);
    expect(await logsFiles("require('pino')")).toEqual(['dist/fields.js', 'dist/pino.js', 'dist/wrap.js']);
    expect(await logsFiles("require('winston')")).toEqual(['dist/fields.js', 'dist/winston.js', 'dist/wrap.js']);
  });

  it('the preload bundle holds the definitions and requires the patch code from the package', () => {
    const bundle = fs.readFileSync(path.join(ROOT, 'packages/register/dist/bundle.js'), 'utf8');
    expect(bundle).toContain('require("@tracewire/logs/dist/pino")');
    expect(bundle).toContain('require("@tracewire/logs/dist/winston")');
    expect(bundle).not.toContain('pino.asJson');
  });
});

describe('by hand', () => {
  it('enable() patches pino and winston already loaded, disable() puts the originals back, and a span that cannot be read is reported once and then left alone', async () => {
    const result = await runNode([fixture('by-hand.cjs')], { OTEL_TRACES_EXPORTER: 'none' });
    expect(result.status).toBe(0);
    const steps = JSON.parse(result.stdout) as Record<string, unknown>;
    const [enabledLines, enabledSpan] = steps.enabled as [unknown[], string];
    const [againLines, againSpan] = steps.again as [unknown[], string];
    expect(enabledLines).toEqual([enabledSpan, enabledSpan]);
    expect(steps.restored).toBe(true);
    expect(steps.disabled).toEqual([null, null]);
    expect(againLines).toEqual([againSpan, againSpan]);
    // The log call goes on without ids, tracewire says why once, and steps aside from then on.
    expect(steps.broken).toEqual([null, null]);
    expect(steps.after).toEqual([null, null]);
    expect(steps.threw).toBe(false);
    expect(result.stderr).toBe(
      '[tracewire] log correlation could not read the active span (no context here); pino and winston records go out without trace ids from now on.\n',
    );
  });
});
