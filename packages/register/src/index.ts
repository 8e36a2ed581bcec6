// The preload: `node -r @tracewire/register app.js`. Reads the OTEL_*
// environment, starts tracing and turns on every instrumentation tracewire
// ships. Each one patches its module only when the app loads it, so an app
// that never touches http or pg pays nothing for them.
import { enableInstrumentation, InstrumentationDefinition, log, start } from '@tracewire/core';
import { httpInstrumentation } from '@tracewire/http';

const instrumentations: InstrumentationDefinition[] = [httpInstrumentation];

export const sdk = start();

if (sdk.enabled) {
  for (const definition of instrumentations) {
    try {
      enableInstrumentation(definition, { deferBuiltins: true });
    } catch (error) {
      log.warn(`could not enable ${definition.name} (${(error as Error)?.message}); it runs untraced.`);
    }
  }
}
