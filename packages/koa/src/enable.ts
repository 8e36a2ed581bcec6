// What the one middleware line turns on, the first time tracing() is called:
// the SDK (start() is idempotent: a preload may have started it already), and
// the instrumentations that make the request's children: http/https/fetch
// clients (and the server span itself), Koa, and pg when @tracewire/pg is there.
import { enableInstrumentation, InstrumentationDefinition, log, start } from '@tracewire/core';
import { httpInstrumentation } from '@tracewire/http';
import { koaInstrumentation } from './patch';

let enabled = false;

/** @tracewire/pg is optional: an app without it simply gets no query spans. */
function pgInstrumentation(): InstrumentationDefinition | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@tracewire/pg') as { pgInstrumentation?: InstrumentationDefinition }).pgInstrumentation;
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'MODULE_NOT_FOUND') {
      log.warn(`@tracewire/koa: could not load @tracewire/pg (${(error as Error)?.message}); queries run untraced.`);
    }
    return undefined;
  }
}

export function enableTracing(): void {
  if (enabled) return;
  enabled = true;
  try {
    if (!start().enabled) return;
    for (const definition of [httpInstrumentation, koaInstrumentation, pgInstrumentation()]) {
      if (definition !== undefined) enableInstrumentation(definition);
    }
  } catch (error) {
    log.warn(`@tracewire/koa: could not turn tracing on (${(error as Error)?.message}); the app runs untraced.`);
  }
}
