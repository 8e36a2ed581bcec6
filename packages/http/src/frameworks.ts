// What a framework's one middleware line turns on the first time it is used:
// the SDK (start() is idempotent: a preload may have started it already), this
// package (the request's server span and outgoing calls), the framework's own
// instrumentation, and pg and postgres.js when @tracewire/pg and
// @tracewire/postgres are installed, less those OTEL_NODE_ENABLED_INSTRUMENTATIONS /
// OTEL_NODE_DISABLED_INSTRUMENTATIONS leave out. Shared by @tracewire/express and
// @tracewire/koa.
import { enableInstrumentation, InstrumentationDefinition, instrumentationWanted, log, start } from '@tracewire/core';
import { httpInstrumentation } from './definition';

const turnedOn = new Set<InstrumentationDefinition>();

/** The database instrumentations (their light definition files), each optional: an app without one gets no query spans from that driver. */
const DATABASES: ReadonlyArray<readonly [string, string]> = [
  ['@tracewire/pg', 'pgInstrumentation'],
  ['@tracewire/postgres', 'postgresInstrumentation'],
];

function optionalInstrumentation(caller: string, pkg: string, name: string): InstrumentationDefinition | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`${pkg}/dist/definition`) as Record<string, InstrumentationDefinition | undefined>)[name];
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'MODULE_NOT_FOUND') {
      log.warn(`${caller}: could not load ${pkg} (${(error as Error)?.message}); queries run untraced.`);
    }
    return undefined;
  }
}

/** Starts tracing for a framework's middleware; `framework` names the caller in messages. Once per framework. */
export function enableForFramework(framework: InstrumentationDefinition): void {
  if (turnedOn.has(framework)) return;
  turnedOn.add(framework);
  try {
    if (!start().enabled) return;
    const databases = DATABASES.map(([pkg, name]) => optionalInstrumentation(framework.name, pkg, name));
    for (const definition of [httpInstrumentation, framework, ...databases]) {
      if (definition !== undefined && instrumentationWanted(definition.name)) enableInstrumentation(definition);
    }
  } catch (error) {
    log.warn(`${framework.name}: could not turn tracing on (${(error as Error)?.message}); the app runs untraced.`);
  }
}
