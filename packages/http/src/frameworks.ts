// What a framework's one middleware line turns on the first time it is used:
// the SDK (start() is idempotent: a preload may have started it already), this
// package (the request's server span and outgoing calls), the framework's own
// instrumentation, and pg when @tracewire/pg is installed. Shared by
// @tracewire/express and @tracewire/koa.
import { enableInstrumentation, InstrumentationDefinition, log, start } from '@tracewire/core';
import { httpInstrumentation } from './definition';

const turnedOn = new Set<InstrumentationDefinition>();

/** @tracewire/pg is optional: an app without it simply gets no query spans. */
function pgInstrumentation(caller: string): InstrumentationDefinition | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@tracewire/pg') as { pgInstrumentation?: InstrumentationDefinition }).pgInstrumentation;
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'MODULE_NOT_FOUND') {
      log.warn(`${caller}: could not load @tracewire/pg (${(error as Error)?.message}); queries run untraced.`);
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
    for (const definition of [httpInstrumentation, framework, pgInstrumentation(framework.name)]) {
      if (definition !== undefined) enableInstrumentation(definition);
    }
  } catch (error) {
    log.warn(`${framework.name}: could not turn tracing on (${(error as Error)?.message}); the app runs untraced.`);
  }
}
