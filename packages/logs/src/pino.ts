// pino: the ids go into the object pino serializes, through the asJson method
// (Symbol('pino.asJson')) of the prototype lib/proto.js builds, which every
// logger and child inherits.
//
// Why asJson and not write, the method each log call reaches first:
// write(obj, msg, level) turns an Error first argument into { [errorKey]: err }
// (taking msg from it), merges the user's mixin under the call's fields, and
// then hands the result to asJson, synchronously, still in the log call's
// context. Wrapped there, the ids go under every field the record has — the
// call's, the mixin's, the error's — and none of pino's rules (errorKey,
// messageKey, mixinMergeStrategy, which differ by version and option) is
// repeated here. asJson writes a record's own enumerable fields only, so a
// plain copy with the ids first serializes as the record did, ids in front.
//
// What asJson is not handed is the logger's bindings (a child's, `base`),
// serialized once when the logger is made: a field bound there is left out of
// the ids, or the line would hold the key twice and ours, later, would win.
import { activeSpanContext, HAS_SPAN_ID, HAS_TRACE_FLAGS, HAS_TRACE_ID, SPAN_ID, TRACE_FLAGS, TRACE_ID, withTraceFields } from './fields';
import { AnyFunction, unwrapMethod, wrapMethod } from './wrap';

const AS_JSON = 'pino.asJson';
const CHINDINGS = 'pino.chindings';

/** The symbol-keyed property of `target` or of its prototypes whose description is `description`. */
export function symbolNamed(target: object, description: string): symbol | undefined {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const found = Object.getOwnPropertySymbols(o).find((s) => s.description === description);
    if (found !== undefined) return found;
  }
  return undefined;
}

const MENTIONS_A_FIELD = new RegExp(`"(?:${TRACE_ID}|${SPAN_ID}|${TRACE_FLAGS})":`);

/**
 * Which of the three fields a logger's serialized bindings (pino's chindings,
 * `,"key":value…`) hold at their top level, as HAS_* bits. Bindings that do not
 * mention one are the common case and are not parsed; the others are parsed as
 * pino's own bindings() does, so a field of a nested object does not count.
 */
export function boundTraceFields(chindings: string): number {
  if (!MENTIONS_A_FIELD.test(chindings)) return 0;
  let bindings: Record<string, unknown>;
  try {
    bindings = JSON.parse(`{${chindings.slice(1)}}`) as Record<string, unknown>;
  } catch {
    return 0; // not what pino writes: nothing known to be bound
  }
  const has = (field: string): boolean => Object.prototype.hasOwnProperty.call(bindings, field);
  return (has(TRACE_ID) ? HAS_TRACE_ID : 0) | (has(SPAN_ID) ? HAS_SPAN_ID : 0) | (has(TRACE_FLAGS) ? HAS_TRACE_FLAGS : 0);
}

function wrapAsJson(original: AnyFunction): AnyFunction {
  // One symbol for every logger of this pino copy, found on the first one that writes inside a span.
  let chindingsKey: symbol | null | undefined;
  // The last bindings read and what they hold: a logger writes many records with the same bindings.
  let lastChindings: unknown;
  let lastBound = 0;
  return function asJson(this: object, record: object): unknown {
    const context = activeSpanContext();
    if (context !== undefined) {
      try {
        chindingsKey ??= symbolNamed(this, CHINDINGS) ?? null;
        const chindings = chindingsKey === null ? undefined : (this as Record<symbol, unknown>)[chindingsKey];
        if (chindings !== lastChindings) {
          lastChindings = chindings;
          lastBound = typeof chindings === 'string' ? boundTraceFields(chindings) : 0;
        }
        arguments[0] = withTraceFields(context, record, lastBound);
      } catch {
        // The record's own getter threw: pino meets the same error as it would without tracing.
      }
    }
    return original.apply(this, arguments);
  };
}

/** Per lib/proto.js exports this copy patched: where it wrapped asJson. */
const patched = new WeakMap<object, { prototype: object; key: symbol }>();

/** lib/proto.js exports `() => Object.create(prototype)`; the prototype is what every logger inherits. */
function loggerPrototype(protoExports: unknown): object | undefined {
  if (typeof protoExports !== 'function') return undefined;
  const logger: unknown = protoExports();
  return typeof logger === 'object' && logger !== null ? (Object.getPrototypeOf(logger) as object | null) ?? undefined : undefined;
}

/** What the hook calls when pino's lib/proto.js loads. Idempotent. */
export function patchPinoPrototype(protoExports: unknown): void {
  const prototype = loggerPrototype(protoExports);
  const key = prototype === undefined ? undefined : symbolNamed(prototype, AS_JSON);
  if (prototype === undefined || key === undefined) {
    throw new TypeError(`pino's lib/proto.js no longer builds a logger prototype with a Symbol(${AS_JSON}) method; log correlation needs a @tracewire/logs that knows this pino`);
  }
  wrapMethod(prototype, key, wrapAsJson);
  patched.set(protoExports as object, { prototype, key });
}

/** Restores the asJson this copy wrapped. */
export function unpatchPinoPrototype(protoExports: unknown): void {
  const entry = typeof protoExports === 'function' ? patched.get(protoExports) : undefined;
  if (entry === undefined) return;
  patched.delete(protoExports as object);
  unwrapMethod(entry.prototype, entry.key);
}
