// winston 3: the ids go into a copy of each info object written to a Logger,
// through Logger.prototype.write (lib/winston/logger.js exports the class).
//
// Why write: every record enters a Logger through it — the level methods,
// log(), child loggers (their own write merges the child's metadata and calls
// the parent's), the profiler, a stream piped in — synchronously, in the log
// call's context. _transform, where the formats run, sees the same records,
// but a Logger is a stream: when a slow transport holds it back, _transform
// runs later from the stream's buffer, where the active span is no longer the
// caller's.
//
// Why a copy: the info is often the caller's own object
// (logger.info({ message, … }), logger.log(info)), which must not gain fields.
// An info that is not a plain object — an Error, from logger.error(err) — is
// passed on as it is: a plain copy would no longer be the Error that winston's
// errors() format looks for, and adding the ids to it would change the
// caller's object.
import { activeSpanContext, withTraceFields } from './fields';
import { AnyFunction, unwrapMethod, wrapMethod } from './wrap';

/** Object literals, Object.assign({}, …) results and Object.create(null) objects: what winston and its users build an info as. */
export function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function wrapWrite(original: AnyFunction): AnyFunction {
  return function write(this: unknown, info: unknown): unknown {
    const context = isPlainObject(info) ? activeSpanContext() : undefined;
    if (context !== undefined) {
      try {
        arguments[0] = withTraceFields(context, info as object);
      } catch {
        // The info's own getter threw: winston meets the same object as it would without tracing.
      }
    }
    return original.apply(this, arguments);
  };
}

/** The prototype of the Logger class lib/winston/logger.js exports. */
function loggerPrototype(exports: unknown): object | undefined {
  const prototype: unknown = typeof exports === 'function' ? (exports as { prototype?: unknown }).prototype : undefined;
  return typeof prototype === 'object' && prototype !== null ? prototype : undefined;
}

/** What the hook calls when winston's lib/winston/logger.js loads. Idempotent. */
export function patchWinstonLogger(exports: unknown): void {
  const prototype = loggerPrototype(exports);
  if (prototype === undefined) {
    throw new TypeError("winston's lib/winston/logger.js no longer exports the Logger class; log correlation needs a @tracewire/logs that knows this winston");
  }
  wrapMethod(prototype, 'write', wrapWrite);
}

/** Restores Logger.prototype.write. */
export function unpatchWinstonLogger(exports: unknown): void {
  const prototype = loggerPrototype(exports);
  if (prototype !== undefined) unwrapMethod(prototype, 'write');
}
