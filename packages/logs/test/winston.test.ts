// winston 3.0 and 3.19 in process (winston3-0 is an npm alias: the hook
// matches the package.json name): every call shape is written through a real
// Stream transport to a Writable before the patch, patched with no span
// active, and patched inside a span. With no span the bytes are winston's own;
// inside one the record is winston's own plus the span's ids. Jest's loader
// hides requires from core's hook, so the tests apply the definition's
// ModulePatch to the loaded lib/winston/logger.js, as the hook does.
import { winstonInstrumentation } from '../src/definition';
import { boom, inSpan, ownEntries, sink, useTracing } from './helpers/tracing';

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
type Logger = Record<string, (...args: any[]) => any> & { child(meta: object): Logger };
interface Winston {
  createLogger(options: object): Logger;
  format: Record<string, (...args: any[]) => unknown> & ((...args: any[]) => unknown);
  transports: { Stream: new (options: object) => unknown };
}

const VERSIONS = [
  // defaultMeta and logger.child came with winston 3.1 and 3.2.
  { name: 'winston 3.0', pkg: 'winston3-0', minor: '3.0', metadata: false },
  { name: 'winston 3.19', pkg: 'winston', minor: '3.19', metadata: true },
];

const PATCH = winstonInstrumentation.modules[0];
const TRACE_FIELDS = ['trace_id', 'span_id', 'trace_flags'];

interface Row {
  name: string;
  call(logger: Logger): void;
  /** createLogger options besides the transport (default: the json format, level silly). */
  options?: (winston: Winston) => object;
  /** Needs defaultMeta or logger.child (winston 3.1, 3.2). */
  metadata?: true;
}

const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

const ROWS: Row[] = [
  { name: "info('msg')", call: (l) => l.info('hello') },
  { name: "info('msg', { meta })", call: (l) => l.info('with meta', { a: 1, nested: { b: [2] } }) },
  { name: 'info({ message, fields })', call: (l) => l.info({ message: 'an info object', a: 1 }) },
  { name: "log('warn', 'msg')", call: (l) => l.log('warn', 'logged') },
  { name: 'log({ level, message })', call: (l) => l.log({ level: 'info', message: 'an info object', a: 1 }) },
  { name: "log('info', 'msg', { meta })", call: (l) => l.log('info', 'with meta', { a: 1 }) },
  ...LEVELS.map((level): Row => ({ name: `${level}('at a level')`, call: (l) => l[level]('at a level') })),
  { name: "error('msg', err)", call: (l) => l.error('it failed:', boom()) },
  {
    name: 'error(err)',
    // errors() came with logform 2 (winston 3.2); before it an Error info writes its enumerable fields.
    options: (w) => ({ format: w.format.errors === undefined ? w.format.json() : w.format.combine(w.format.errors({ stack: true }), w.format.json()) }),
    call: (l) => l.error(boom()),
  },
  { name: 'defaultMeta', metadata: true, options: (w) => ({ format: w.format.json(), defaultMeta: { service: 'shop' } }), call: (l) => l.info('with default meta') },
  { name: 'child', metadata: true, call: (l) => l.child({ requestId: 'r1' }).info('from a child') },
  { name: 'grandchild', metadata: true, call: (l) => l.child({ requestId: 'r1' }).child({ step: 2 }).warn('from a grandchild') },
];

/** logger.error(err): the info is the Error itself, which is passed on untouched (see winston.ts). */
const ERROR_INFO = 'error(err)';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe.each(VERSIONS)('$name', ({ pkg, minor, metadata }) => {
  const winston = require(pkg) as Winston;
  const Logger = require(`${pkg}/lib/winston/logger`) as { prototype: object };
  const version = (require(`${pkg}/package.json`) as { version: string }).version;
  const inherited = (Logger.prototype as { write: unknown }).write;
  const rows = ROWS.filter((row) => metadata || row.metadata !== true);

  const logger = (stream: NodeJS.WritableStream, options?: object): Logger =>
    winston.createLogger({ level: 'silly', format: winston.format.json(), ...options, transports: [new winston.transports.Stream({ stream })] });

  async function write(row: Row, run: (fn: () => void) => void = (fn) => fn()): Promise<string[]> {
    const { stream, writes } = sink();
    const target = logger(stream, row.options?.(winston));
    run(() => row.call(target));
    await settle();
    return writes;
  }

  const baseline = new Map<string, string[]>();

  beforeAll(async () => {
    expect(version).toMatch(new RegExp(`^${minor.replace('.', '\\.')}\\.`));
    for (const row of rows) baseline.set(row.name, await write(row));
    PATCH.patch(Logger, version);
  });
  afterAll(() => PATCH.unpatch(Logger));

  describe('with tracing on', () => {
    useTracing();

    it.each(rows)('$name: with no span active, winston writes the bytes it writes without tracing', async (row) => {
      expect(baseline.get(row.name)).toHaveLength(1);
      expect(await write(row)).toEqual(baseline.get(row.name));
    });

    it.each(rows.filter((row) => row.name !== ERROR_INFO))('$name: inside a span, the same record plus trace_id, span_id and trace_flags', async (row) => {
      let ids: Record<string, string> = {};
      const lines = await write(row, (fn) => {
        const { context } = inSpan(fn);
        ids = { trace_id: context.traceId, span_id: context.spanId, trace_flags: '01' };
      });
      const [own] = baseline.get(row.name)!.map((line) => JSON.parse(line) as Record<string, unknown>);
      const traced = JSON.parse(lines[0]) as Record<string, unknown>;
      expect(lines).toHaveLength(1);
      expect(traced).toEqual({ ...own, ...ids });
      // Winston's own fields keep their order (the json format of 3.19 sorts keys; 3.0's keeps insertion order).
      expect(Object.keys(traced).filter((key) => !TRACE_FIELDS.includes(key))).toEqual(Object.keys(own));
    });

    it('logger.error(err): the info is the Error itself, passed on untouched, so the line has no ids', async () => {
      const row = ROWS.find((r) => r.name === ERROR_INFO)!;
      const lines = await write(row, (fn) => inSpan(fn));
      expect(lines).toEqual(baseline.get(row.name));
    });

    it('a format that keeps insertion order shows the ids first, ahead of the record’s fields', async () => {
      const { stream, writes } = sink();
      const target = logger(stream, { format: winston.format.printf((info: object) => JSON.stringify(info)) });
      const { context } = inSpan(() => target.info('ordered', { a: 1 }));
      await settle();
      expect(Object.keys(JSON.parse(writes[0]))).toEqual([...TRACE_FIELDS, 'a', 'level', 'message']);
      expect(JSON.parse(writes[0]).span_id).toBe(context.spanId);
    });

    it('the record’s own fields win: a trace_id from the call is kept', async () => {
      const { stream, writes } = sink();
      const target = logger(stream);
      const { context } = inSpan(() => target.info('own ids', { trace_id: 'from-call' }));
      await settle();
      expect(JSON.parse(writes[0])).toEqual({ level: 'info', message: 'own ids', trace_id: 'from-call', span_id: context.spanId, trace_flags: '01' });
    });

    // winston 3.0 has neither defaultMeta nor child(): the case exists from the versions that do.
    if (metadata) {
      it('so are defaultMeta’s fields and a child’s metadata', async () => {
        const { stream, writes } = sink();
        const target = logger(stream, { defaultMeta: { span_id: 'from-default-meta' } }).child({ trace_flags: 'from-child' });
        const { context } = inSpan(() => target.info('metadata ids'));
        await settle();
        expect(JSON.parse(writes[0])).toEqual({
          level: 'info',
          message: 'metadata ids',
          trace_id: context.traceId,
          span_id: 'from-default-meta',
          trace_flags: 'from-child',
        });
      });
    }

    it('never adds fields to what the caller passed: meta, an info object, an Error', async () => {
      const { stream } = sink();
      const target = logger(stream);
      const meta = { a: 1, nested: { b: 2 } };
      const info = { message: 'an info object', a: 1 };
      const untraced = { message: 'an info object', a: 1 };
      const error = boom();
      const before = [ownEntries(meta), structuredClone(meta)];
      target.info(untraced);
      inSpan(() => {
        target.info('with meta', meta);
        target.info(info);
        target.error(error);
      });
      await settle();
      expect([ownEntries(meta), structuredClone(meta)]).toEqual(before);
      // winston itself sets level (and its symbols) on an info object or an Error it is handed; the ids never land there.
      expect(Object.keys(info)).toEqual(Object.keys(untraced));
      for (const value of [info, error]) for (const field of TRACE_FIELDS) expect(Object.prototype.hasOwnProperty.call(value, field)).toBe(false);
    });

    it('write returns what the stream’s write returns (its backpressure signal), and the level methods their logger', () => {
      const { stream } = sink();
      const target = logger(stream);
      const untraced = target.write({ level: 'info', message: 'direct' });
      const { result } = inSpan(() => [target.write({ level: 'info', message: 'direct' }), target.info('chained'), target.log('info', 'chained')]);
      expect(untraced).toBe(true);
      expect(result).toEqual([untraced, target, target]);
    });

    it('patching twice wraps once: one unpatch then restores the inherited write', () => {
      PATCH.patch(Logger, version);
      expect((Logger.prototype as { write: unknown }).write).not.toBe(inherited);
      PATCH.unpatch(Logger);
      expect(Object.prototype.hasOwnProperty.call(Logger.prototype, 'write')).toBe(false);
      PATCH.patch(Logger, version);
    });
  });

  describe('with a sampler that drops the span', () => {
    useTracing({ OTEL_TRACES_SAMPLER: 'always_off' });

    it("a sampled-out span still names the trace: the ids, with trace_flags '00'", async () => {
      let spanId = '';
      const lines = await write(ROWS[1], (fn) => (spanId = inSpan(fn).context.spanId));
      expect(JSON.parse(lines[0])).toMatchObject({ span_id: spanId, trace_flags: '00' });
    });
  });

  describe('with tracing off (OTEL_SDK_DISABLED)', () => {
    useTracing({ OTEL_SDK_DISABLED: 'true' });

    it('the active span names no trace (all-zero ids): winston writes its own bytes', async () => {
      const lines = await write(ROWS[1], (fn) => expect(inSpan(fn).context.traceId).toBe('0'.repeat(32)));
      expect(lines).toEqual(baseline.get(ROWS[1].name));
    });
  });

  describe('unpatch', () => {
    useTracing();

    it('removes the wrapper: Logger inherits its stream base class’s write again, and lines are winston’s own', async () => {
      PATCH.unpatch(Logger);
      expect(Object.prototype.hasOwnProperty.call(Logger.prototype, 'write')).toBe(false);
      expect((Logger.prototype as { write: unknown }).write).toBe(inherited);
      expect(await write(ROWS[1], (fn) => inSpan(fn))).toEqual(baseline.get(ROWS[1].name));
    });
  });
});
