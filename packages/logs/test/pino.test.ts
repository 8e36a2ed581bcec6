// pino 8, 9 and 10 in process (the npm aliases pino8 and pino9 are pino's own
// packages: the hook matches the package.json name): every call shape is
// written to a real Writable before the patch, patched with no span active,
// and patched inside a span. With no span the bytes are pino's own; inside one
// they are pino's own with the span's ids in front of the record's fields.
// Jest's loader hides requires from core's hook, so the tests apply the
// definition's ModulePatch to the loaded lib/proto.js, as the hook does.
import { pinoInstrumentation } from '../src/definition';
import { boom, idsJson, inSpan, ownEntries, sink, useTracing } from './helpers/tracing';

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
type Logger = Record<string, (...args: any[]) => any> & { child(bindings: object): Logger };
type Pino = (options: object, stream: NodeJS.WritableStream) => Logger;

const VERSIONS = [
  { name: 'pino 8', pkg: 'pino8', major: '8' },
  { name: 'pino 9', pkg: 'pino9', major: '9' },
  { name: 'pino 10', pkg: 'pino', major: '10' },
];

const PATCH = pinoInstrumentation.modules[0];
/** Deterministic lines: no time, no pid or hostname. */
const DEFAULTS = { level: 'trace', timestamp: false, base: null };

interface Row {
  name: string;
  options?: object;
  call(logger: Logger): void;
  /** What pino writes before the record's own fields (level and bindings): the ids go right after it. */
  prefix: string;
}

const LEVELS = [['trace', 10], ['debug', 20], ['info', 30], ['warn', 40], ['error', 50], ['fatal', 60]] as const;

const ROWS: Row[] = [
  { name: "info('msg')", call: (l) => l.info('hello'), prefix: '{"level":30' },
  { name: "info('msg %s', arg)", call: (l) => l.info('hello %s', 'world'), prefix: '{"level":30' },
  { name: 'info({ fields }, msg)', call: (l) => l.info({ a: 1, nested: { b: [2] } }, 'with fields'), prefix: '{"level":30' },
  { name: 'info({ fields })', call: (l) => l.info({ a: 1 }), prefix: '{"level":30' },
  { name: 'info({})', call: (l) => l.info({}), prefix: '{"level":30' },
  { name: 'info(null, msg)', call: (l) => l.info(null, 'after null'), prefix: '{"level":30' },
  { name: 'info(err)', call: (l) => l.info(boom()), prefix: '{"level":30' },
  { name: 'error(new Error())', call: (l) => l.error(boom('failed')), prefix: '{"level":50' },
  { name: 'error(err, msg)', call: (l) => l.error(boom(), 'it failed'), prefix: '{"level":50' },
  { name: 'error({ err })', call: (l) => l.error({ err: boom() }), prefix: '{"level":50' },
  { name: 'errorKey and messageKey options', options: { errorKey: 'error', messageKey: 'message' }, call: (l) => l.error(boom()), prefix: '{"level":50' },
  ...LEVELS.map(([level, value]): Row => ({ name: `${level}('at a level')`, call: (l) => l[level]('at a level'), prefix: `{"level":${value}` })),
  { name: 'child', call: (l) => l.child({ module: 'db' }).info('from a child'), prefix: '{"level":30,"module":"db"' },
  { name: 'grandchild', call: (l) => l.child({ module: 'db' }).child({ query: 'q1' }).warn({ ms: 9 }, 'slow'), prefix: '{"level":40,"module":"db","query":"q1"' },
  { name: 'mixin', options: { mixin: () => ({ requestId: 'r1' }) }, call: (l) => l.info({ a: 1 }, 'mixed'), prefix: '{"level":30' },
  { name: 'base fields', options: { base: { service: 'shop' } }, call: (l) => l.info('with base'), prefix: '{"level":30,"service":"shop"' },
  { name: 'serializers', options: { serializers: { user: (u: { id: number }) => u.id } }, call: (l) => l.info({ user: { id: 7, secret: 's' } }), prefix: '{"level":30' },
  { name: 'redact', options: { redact: ['password'] }, call: (l) => l.info({ password: 'p', a: 1 }, 'login'), prefix: '{"level":30' },
  { name: 'formatters.log', options: { formatters: { log: (o: object) => ({ ...o, formatted: true }) } }, call: (l) => l.info({ a: 1 }), prefix: '{"level":30' },
  { name: 'nestedKey', options: { nestedKey: 'payload' }, call: (l) => l.info({ a: 1 }, 'nested'), prefix: '{"level":30,"payload":{' },
];

function insertAfter(line: string, prefix: string, text: string): string {
  if (!line.startsWith(prefix)) throw new Error(`expected a line starting with ${prefix}, got ${line}`);
  // The ids' leading comma goes only where a field follows them inside the same object.
  const rest = line.slice(prefix.length);
  return prefix.endsWith('{') ? prefix + text.slice(1) + (rest.startsWith('}') ? '' : ',') + rest : prefix + text + rest;
}

describe.each(VERSIONS)('$name', ({ pkg, major }) => {
  const pino = require(pkg) as Pino;
  const proto = require(`${pkg}/lib/proto`) as () => object;
  const version = (require(`${pkg}/package.json`) as { version: string }).version;
  const prototype = Object.getPrototypeOf(proto()) as Record<symbol, unknown>;
  const asJsonKey = (pino as unknown as { symbols: { asJsonSym: symbol } }).symbols.asJsonSym;
  const original = prototype[asJsonKey];

  const write = (row: Row): string[] => {
    const { stream, writes } = sink();
    row.call(pino({ ...DEFAULTS, ...row.options }, stream));
    return writes;
  };
  const baseline = new Map<string, string[]>();

  beforeAll(() => {
    expect(version.split('.')[0]).toBe(major);
    for (const row of ROWS) baseline.set(row.name, write(row));
    PATCH.patch(proto, version);
  });
  afterAll(() => PATCH.unpatch(proto));

  describe('with tracing on', () => {
    useTracing();

    it.each(ROWS)('$name: with no span active, pino writes the bytes it writes without tracing', (row) => {
      expect(baseline.get(row.name)).toHaveLength(1);
      expect(write(row)).toEqual(baseline.get(row.name));
    });

    it.each(ROWS)('$name: inside a span, the same line with trace_id, span_id and trace_flags in front of the record’s fields', (row) => {
      const { result, context } = inSpan(() => write(row));
      expect(context.traceFlags).toBe(1);
      expect(result).toEqual(baseline.get(row.name)!.map((line) => insertAfter(line, row.prefix, idsJson(context))));
      expect(result[0]).toContain('"trace_flags":"01"');
    });

    it('a child made before the span, and the parent, both carry the ids of the span active when they write', () => {
      const { stream, writes } = sink();
      const parent = pino(DEFAULTS, stream);
      const child = parent.child({ module: 'db' });
      const first = inSpan(() => child.info('a'));
      const second = inSpan(() => parent.info('b'));
      expect(writes.map((line) => JSON.parse(line).span_id)).toEqual([first.context.spanId, second.context.spanId]);
    });

    it('the record’s own fields win: trace_id from the call, span_id from the mixin, trace_flags bound on a child', () => {
      const { stream, writes } = sink();
      const logger = pino({ ...DEFAULTS, mixin: () => ({ span_id: 'from-mixin' }) }, stream);
      const { context } = inSpan(() => logger.child({ trace_flags: 'bound' }).info({ trace_id: 'from-call' }, 'own ids'));
      expect(writes).toEqual([`{"level":30,"trace_flags":"bound","trace_id":"from-call","span_id":"from-mixin","msg":"own ids"}\n`]);
      // The bound field is left out rather than written twice (JSON.parse would keep the last one, ours).
      expect(writes[0].match(/trace_flags/g)).toHaveLength(1);
      expect(context.traceId).not.toBe('from-call');
    });

    it('a child bound with all three fields writes them once, as bound', () => {
      const { stream, writes } = sink();
      const child = pino(DEFAULTS, stream).child({ trace_id: 't', span_id: 's', trace_flags: 'f' });
      inSpan(() => child.info('bound'));
      expect(writes).toEqual(['{"level":30,"trace_id":"t","span_id":"s","trace_flags":"f","msg":"bound"}\n']);
    });

    it('never changes what the caller passed: the fields object, the error', () => {
      const { stream } = sink();
      // No mixin: the record pino serializes is then the caller's own object.
      const logger = pino(DEFAULTS, stream);
      const fields = { a: 1, nested: { b: 2 } };
      const error = boom();
      const before = [ownEntries(fields), structuredClone(fields), ownEntries(error)];
      inSpan(() => {
        logger.info(fields, 'fields');
        logger.error(error);
      });
      expect([ownEntries(fields), structuredClone(fields), ownEntries(error)]).toEqual(before);
    });

    it('a mixin is handed what it is handed without tracing: the caller’s own object, the level, the logger', () => {
      const { stream } = sink();
      const seen: unknown[][] = [];
      const logger = pino({ ...DEFAULTS, mixin: (...args: unknown[]) => (seen.push(args), {}) }, stream);
      const fields = { a: 1 };
      inSpan(() => logger.info(fields, 'fields'));
      expect(seen).toHaveLength(1);
      expect(seen[0][0]).toBe(fields);
      expect(seen[0][0]).toEqual({ a: 1 });
      expect(seen[0][1]).toBe(30);
      expect(seen[0][2]).toBe(logger);
    });

    it('a record whose own getter throws fails as it does without tracing, with no ids added', () => {
      const { stream, writes } = sink();
      const logger = pino(DEFAULTS, stream);
      const record = Object.defineProperty({ a: 1 }, 'bad', {
        enumerable: true,
        get() {
          throw new Error('getter failed');
        },
      });
      expect(() => inSpan(() => logger.info(record))).toThrow('getter failed');
      expect(writes).toEqual([]);
    });

    it('patching twice wraps once: one unpatch then restores pino’s own asJson', () => {
      PATCH.patch(proto, version);
      expect(prototype[asJsonKey]).not.toBe(original);
      PATCH.unpatch(proto);
      expect(prototype[asJsonKey]).toBe(original);
      PATCH.patch(proto, version);
    });
  });

  describe('with a sampler that drops the span', () => {
    useTracing({ OTEL_TRACES_SAMPLER: 'always_off' });

    it("a sampled-out span still names the trace: the ids, with trace_flags '00'", () => {
      const row = ROWS[2];
      const { result, context } = inSpan(() => write(row));
      expect(context.traceFlags).toBe(0);
      expect(result).toEqual(baseline.get(row.name)!.map((line) => insertAfter(line, row.prefix, idsJson(context))));
      expect(JSON.parse(result[0])).toMatchObject({ trace_flags: '00' });
    });
  });

  describe('with tracing off (OTEL_SDK_DISABLED)', () => {
    useTracing({ OTEL_SDK_DISABLED: 'true' });

    it('the active span names no trace (all-zero ids): pino writes its own bytes', () => {
      const { result, context } = inSpan(() => write(ROWS[2]));
      expect(context.traceId).toBe('0'.repeat(32));
      expect(result).toEqual(baseline.get(ROWS[2].name));
    });
  });

  describe('unpatch', () => {
    useTracing();

    it('puts pino’s own asJson back: lines written inside a span are pino’s own again', () => {
      PATCH.unpatch(proto);
      expect(prototype[asJsonKey]).toBe(original);
      const { result } = inSpan(() => write(ROWS[2]));
      expect(result).toEqual(baseline.get(ROWS[2].name));
    });
  });
});
