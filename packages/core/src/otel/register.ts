// Registers tracewire as the `@opentelemetry/api` globals. The API keeps them
// on globalThis under Symbol.for('opentelemetry.js.api.<major>'), shared by
// every copy of one major; each copy also has its own ProxyTracerProvider,
// which is what a tracer taken before registration holds, and which gets its
// delegate only through that copy's setGlobalTracerProvider. So tracewire
// registers through each copy as it loads (or was loaded, for the middleware
// line), and a copy loaded after registration reads the shared globals.
//
// Another SDK registered first (a migration in progress): it keeps the API,
// tracewire says so once, and honours its context's suppress-tracing key.
import Module = require('module');
import * as fs from 'fs';
import * as path from 'path';
import { contextBridgeState, ForeignContext, OTEL_SUPPRESS_KEY } from '../context';
import { log } from '../logger';
import { OtelTracerProvider, otelContextManager, otelPropagator } from './api';
import { baggageViews } from './baggage';

const TYPES = ['trace', 'context', 'propagation'] as const;
type ApiType = (typeof TYPES)[number];

/** What the API keeps on its global symbol. */
type ApiGlobal = { version?: string } & Partial<Record<string, unknown>>;

interface ProxyProvider {
  setDelegate(provider: unknown): void;
  getDelegate(): unknown;
}

/** The parts of an `@opentelemetry/api` module object the registration uses. */
interface ApiModule {
  trace: { setGlobalTracerProvider(provider: unknown): boolean; disable(): void; _proxyTracerProvider?: ProxyProvider };
  context: { setGlobalContextManager(manager: unknown): boolean; disable(): void };
  propagation: { setGlobalPropagator(propagator: unknown): boolean; disable(): void };
}

interface Ours {
  trace: OtelTracerProvider;
  context: typeof otelContextManager;
  propagation: typeof otelPropagator;
}

const OURS_KEY = Symbol.for('tracewire.otel.globals');
const holder = globalThis as unknown as Record<symbol, unknown>;
const ours: Ours = (holder[OURS_KEY] as Ours | undefined) ??
  (holder[OURS_KEY] = { trace: new OtelTracerProvider(), context: otelContextManager, propagation: otelPropagator }) as Ours;

function globalsOf(major: string): ApiGlobal | undefined {
  return holder[Symbol.for(`opentelemetry.js.api.${major}`)] as ApiGlobal | undefined;
}

function majorOf(version: string): string {
  return version.split('.')[0];
}

function isOurs(type: ApiType, value: unknown): boolean {
  if (value === ours[type]) return true;
  // The trace global is the registering copy's ProxyTracerProvider, delegating to ours.
  const delegate = type === 'trace' && value !== null && typeof value === 'object' ? (value as Partial<ProxyProvider>).getDelegate : undefined;
  return typeof delegate === 'function' && delegate.call(value) === ours.trace;
}

interface ForeignApiContext {
  active(): { getValue(key: symbol): unknown; setValue(key: symbol, value: unknown): unknown };
  with<T>(context: unknown, fn: () => T): T;
}

/** Another SDK's context manager: its suppression stops tracewire's spans, and tracewire's own I/O sets it. */
function foreignContext(manager: ForeignApiContext): ForeignContext {
  return {
    suppressed(): boolean {
      try {
        return manager.active().getValue(OTEL_SUPPRESS_KEY) === true;
      } catch {
        return false;
      }
    },
    runSuppressed<T>(fn: () => T): T {
      let context: unknown;
      try {
        context = manager.active().setValue(OTEL_SUPPRESS_KEY, true);
      } catch {
        return fn();
      }
      return manager.with(context, fn);
    },
  };
}

function coexist(globals: ApiGlobal, foreign: readonly ApiType[]): void {
  const bridge = contextBridgeState();
  const manager = globals.context as Partial<ForeignApiContext> | undefined;
  if (foreign.includes('context') && typeof manager?.active === 'function' && typeof manager.with === 'function') {
    bridge.foreign = foreignContext(manager as ForeignApiContext);
  }
  log.warn(
    `another OpenTelemetry SDK registered the @opentelemetry/api ${foreign.join(', ')} before tracewire: code using the API reports to it, ` +
      'not to tracewire (tracewire\'s own instrumentations still trace). To have tracewire serve the API, start it first (node -r @tracewire/register) or stop registering the other SDK.',
  );
}

/** A tracer this copy handed out before registration holds its own proxy: give the proxy tracewire's provider. */
function delegateProxy(api: ApiModule): void {
  const proxy = api.trace._proxyTracerProvider;
  if (proxy === undefined || typeof proxy.setDelegate !== 'function' || typeof proxy.getDelegate !== 'function') return;
  if (proxy.getDelegate() !== ours.trace) proxy.setDelegate(ours.trace);
}

const REGISTER: Record<ApiType, (api: ApiModule) => boolean> = {
  trace: (api) => api.trace.setGlobalTracerProvider(ours.trace),
  context: (api) => api.context.setGlobalContextManager(ours.context),
  propagation: (api) => api.propagation.setGlobalPropagator(ours.propagation),
};

/** Registers tracewire through one loaded copy of the API (`version` is that copy's). */
export function registerWithApi(api: ApiModule, version: string): void {
  contextBridgeState().baggage = baggageViews;
  // What is left after every registration was undone holds only the version: this copy may start anew.
  const key = Symbol.for(`opentelemetry.js.api.${majorOf(version)}`);
  const left = holder[key] as ApiGlobal | undefined;
  if (left !== undefined && Object.keys(left).every((name) => name === 'version')) delete holder[key];
  const foreign: ApiType[] = [];
  for (const type of TYPES) {
    const current = globalsOf(majorOf(version))?.[type];
    if (current === undefined) {
      // Through the copy's own API when it can (its proxy gets the delegate); else (a global of another
      // version holds diag or metrics, so the API refuses) the entry is written as the API would.
      if (!REGISTER[type](api)) {
        const globals = globalsOf(majorOf(version));
        if (globals !== undefined && globals[type] === undefined) globals[type] = ours[type];
      }
    } else if (!isOurs(type, current)) foreign.push(type);
  }
  if (!foreign.includes('trace')) delegateProxy(api);
  if (foreign.length > 0) coexist(globalsOf(majorOf(version))!, foreign);
  else contextBridgeState().bridged = true;
}

/** Undoes registerWithApi for one copy: the globals tracewire holds are removed (tests, disableInstrumentation). */
export function unregisterFromApi(api: ApiModule, version: string): void {
  const globals = globalsOf(majorOf(version));
  for (const type of TYPES) if (globals !== undefined && isOurs(type, globals[type])) api[type].disable();
  const bridge = contextBridgeState();
  bridge.bridged = false;
  bridge.foreign = undefined;
}

/**
 * The API's ES module build (1.10 on) is a copy no require hook sees: it is
 * loaded by `import`, and reads the shared globals. When the API the app
 * resolves has one and nothing is registered yet, the globals are written at
 * once, under that copy's version (so its compatibility check accepts them, and
 * every later registration of another kind — diag, metrics — of that version
 * still succeeds). Reads a package.json; loads nothing.
 */
export function registerForEsmBuild(entry: string | undefined = process.argv[1]): void {
  const found = resolvableApi(entry);
  if (found === undefined || !found.esm) return;
  const key = Symbol.for(`opentelemetry.js.api.${majorOf(found.version)}`);
  const globals = (holder[key] as ApiGlobal | undefined) ?? (holder[key] = { version: found.version } as ApiGlobal);
  if (globals.version !== found.version) return;
  if (TYPES.some((type) => globals[type] !== undefined && !isOurs(type, globals[type]))) return;
  contextBridgeState().baggage = baggageViews;
  for (const type of TYPES) globals[type] ??= ours[type];
  contextBridgeState().bridged = true;
}

const IMPORT = new Set(['import', 'node', 'default']);
const REQUIRE = new Set(['require', 'node', 'default']);

/** The file a package.json `exports` entry gives under a set of conditions (first match in key order, as Node reads it). */
function exportTarget(entry: unknown, conditions: ReadonlySet<string>): string | undefined {
  if (typeof entry === 'string') return entry;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
  for (const [condition, value] of Object.entries(entry as Record<string, unknown>)) {
    if (!conditions.has(condition)) continue;
    const target = exportTarget(value, conditions);
    if (target !== undefined) return target;
  }
  return undefined;
}

function resolvableApi(entry: string | undefined): { version: string; esm: boolean } | undefined {
  try {
    const from = entry ? path.resolve(entry) : path.join(process.cwd(), '[eval]');
    const main = Module.createRequire(from).resolve('@opentelemetry/api');
    let dir = path.dirname(main);
    for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (!fs.existsSync(file)) continue;
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown; exports?: unknown };
      if (pkg.name !== '@opentelemetry/api' || typeof pkg.version !== 'string') return undefined;
      const root = pkg.exports !== null && typeof pkg.exports === 'object' ? (pkg.exports as Record<string, unknown>)['.'] : undefined;
      return { version: pkg.version, esm: exportTarget(root, IMPORT) !== exportTarget(root, REQUIRE) };
    }
  } catch {
    // no @opentelemetry/api for this app: nothing to register
  }
  return undefined;
}
