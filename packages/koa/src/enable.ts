// The one middleware line turns on the SDK, http, Koa and (if installed) pg.
import { enableForFramework } from '@tracewire/http';
import { koaInstrumentation } from './patch';

export function enableTracing(): void {
  enableForFramework(koaInstrumentation);
}
