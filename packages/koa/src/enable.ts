// The one middleware line turns on the SDK, http, Koa and (if installed) pg.
import { enableForFramework } from '@tracewire/http';
import { koaInstrumentation } from './definition';

export function enableTracing(): void {
  enableForFramework(koaInstrumentation);
}
