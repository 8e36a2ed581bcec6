// The `@opentelemetry/api` bridge as an instrumentation named
// `opentelemetry-api`: each copy of the API the app loads (or had loaded, for
// the middleware line) gets tracewire as its tracer provider, context manager
// and propagator. The registration code loads with the first copy; an app
// that never loads the API never runs it.
import type { InstrumentationDefinition } from '../hook';
import { VERSION } from '../version';

type Registration = typeof import('./register');

function registration(): Registration {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./register') as Registration;
}

/** The version each patched copy reported, for unpatch (the API exports no version of its own). */
const versions = new WeakMap<object, string>();

export const otelApiInstrumentation: InstrumentationDefinition = {
  name: 'opentelemetry-api',
  version: VERSION,
  modules: [
    {
      module: '@opentelemetry/api',
      versions: '>=1.0.0 <2',
      patch(exports: object, version: string): void {
        versions.set(exports, version);
        registration().registerWithApi(exports as Parameters<Registration['registerWithApi']>[0], version);
      },
      unpatch(exports: object): void {
        const version = versions.get(exports);
        if (version !== undefined) registration().unregisterFromApi(exports as Parameters<Registration['unregisterFromApi']>[0], version);
      },
    },
  ],
  enable(): void {
    registration().registerForEsmBuild();
  },
};
