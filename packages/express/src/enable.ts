// What the one middleware line turns on, the first time tracing() or
// instrument() is called: the SDK (start() is idempotent: a preload may have
// started it already), and the instrumentations that make the request's span
// and its children: http/https/fetch (the server span itself, and outgoing
// calls), Express, and pg when @tracewire/pg is installed.
import { enableInstrumentation, InstrumentationDefinition, log, start } from '@tracewire/core';
import { httpInstrumentation } from '@tracewire/http';

let enabled = false;

/** @tracewire/pg is optional: an app without it simply gets no query spans. */
function pgInstrumentation(): InstrumentationDefinition | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@tracewire/pg') as { pgInstrumentation?: InstrumentationDefinition }).pgInstrumentation;
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'MODULE_NOT_FOUND') {
      log.warn(`@tracewire/express: could not load @tracewire/pg (${(error as Error)?.message}); queries run untraced.`);
    }
    return undefined;
  }
}

export function enableTracing(express: InstrumentationDefinition): void {
  if (enabled) return;
  enabled = true;
  try {
    if (!start().enabled) return;
    for (const definition of [httpInstrumentation, express, pgInstrumentation()]) {
      if (definition !== undefined) enableInstrumentation(definition);
    }
  } catch (error) {
    log.warn(`@tracewire/express: could not turn tracing on (${(error as Error)?.message}); the app runs untraced.`);
  }
}
