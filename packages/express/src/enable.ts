// The one middleware line turns on the SDK, http, Express and (if installed) pg.
import { InstrumentationDefinition } from '@tracewire/core';
import { enableForFramework } from '@tracewire/http';

export function enableTracing(express: InstrumentationDefinition): void {
  enableForFramework(express);
}
