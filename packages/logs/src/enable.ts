// Turning log correlation on by hand, for an app that has neither the preload
// nor a framework's middleware line (which turn it on themselves).
import { disableInstrumentation, enableInstrumentation, EnableOptions } from '@tracewire/core';
import { pinoInstrumentation, winstonInstrumentation } from './definition';

const DEFINITIONS = [pinoInstrumentation, winstonInstrumentation];

/** Turns pino and winston correlation on through core's hook: each is patched now if loaded, else when it loads. */
export function enable(options?: EnableOptions): void {
  for (const definition of DEFINITIONS) enableInstrumentation(definition, options);
}

/** Turns both off and restores the originals the hook wrapped. */
export function disable(): void {
  for (const definition of DEFINITIONS) disableInstrumentation(definition);
}
