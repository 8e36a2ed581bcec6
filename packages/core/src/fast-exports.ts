// A module's exports object as V8 can read it fast. tsc compiles
// `export { x } from './y'` to `exports.x = void 0` followed by
// Object.defineProperty(exports, 'x', { get }), and turning a data property
// into an accessor puts the object in dictionary mode. Every
// `core_1.applyInContext(…)` an instrumentation makes per request is then a
// generic property lookup plus a getter call. A package's index (what other
// packages call on their hot paths) ends with
// `module.exports = fastExports(exports)`: a new object holding each export's
// value, in fast mode. Nothing changes for importers: the values are the same,
// and every re-exported binding is a function, class or object that is never
// reassigned.

/** Every own enumerable export's current value (accessors read once), plus `__esModule`, in a fast-mode object. */
export function fastExports(exports: object): Record<string, unknown> {
  const source = exports as Record<string, unknown>;
  const copy = Object.fromEntries(Object.keys(source).map((key) => [key, source[key]]));
  Object.defineProperty(copy, '__esModule', { value: true });
  return copy;
}
