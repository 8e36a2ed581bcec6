// What a framework's one middleware line turns on the first time it is used:
// the SDK (start() is idempotent: a preload may have started it already), this
// package (the request's server span and outgoing calls), the framework's own
// instrumentation, pg and postgres.js when @tracewire/pg and
// @tracewire/postgres are installed, and pino and winston log correlation
// (@tracewire/logs, a dependency of both frameworks), less those
// OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS leave
// out. Shared by @tracewire/express and @tracewire/koa.
import { enableInstrumentation, InstrumentationDefinition, instrumentationWanted, log, otelApiInstrumentation, start } from '@tracewire/core';
import { httpInstrumentation } from './definition';

const turnedOn = new Set<InstrumentationDefinition>();

const UNTRACED_QUERIES = 'queries run untraced';
const UNCORRELATED_LOGS = 'log records carry no trace ids';

/**
 * The optional instrumentations (their light definition files): package, export, and what an
 * app goes without when the package is there but cannot load. An app without @tracewire/pg or
 * @tracewire/postgres gets no query spans from that driver.
 */
const OPTIONAL: ReadonlyArray<readonly [string, string, string]> = [
  ['@tracewire/pg', 'pgInstrumentation', UNTRACED_QUERIES],
  ['@tracewire/postgres', 'postgresInstrumentation', UNTRACED_QUERIES],
  ['@tracewire/logs', 'pinoInstrumentation', UNCORRELATED_LOGS],
  ['@tracewire/logs', 'winstonInstrumentation', UNCORRELATED_LOGS],
];

function optionalInstrumentation(caller: string, pkg: string, name: string, without: string): InstrumentationDefinition | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`${pkg}/dist/definition`) as Record<string, InstrumentationDefinition | undefined>)[name];
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'MODULE_NOT_FOUND') {
      log.warn(`${caller}: could not load ${pkg} (${(error as Error)?.message}); ${without}.`);
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
    const optional = OPTIONAL.map(([pkg, name, without]) => optionalInstrumentation(framework.name, pkg, name, without));
    for (const definition of [otelApiInstrumentation, httpInstrumentation, framework, ...optional]) {
      if (definition !== undefined && instrumentationWanted(definition.name)) enableInstrumentation(definition);
    }
  } catch (error) {
    log.warn(`${framework.name}: could not turn tracing on (${(error as Error)?.message}); the app runs untraced.`);
  }
}
