// The definitions core's hook machinery consumes: pino's logger prototype
// (built in pino/lib/proto.js) and winston's Logger class
// (winston/lib/winston/logger.js). Named as OpenTelemetry names its own log
// correlation instrumentations, so OTEL_NODE_DISABLED_INSTRUMENTATIONS=pino,winston
// turns them off.
//
// Light on purpose: the preload loads this file for every process, so the
// patch code (pino.ts, winston.ts and what they import) is required only when
// an app first loads pino or winston.
import type { InstrumentationDefinition } from '@tracewire/core';
import type * as PinoModule from './pino';
import type * as WinstonModule from './winston';
import { VERSION } from './version';

/* eslint-disable @typescript-eslint/no-require-imports */
let pinoModule: typeof PinoModule | undefined;
const pino = (): typeof PinoModule => (pinoModule ??= require('./pino') as typeof PinoModule);
let winstonModule: typeof WinstonModule | undefined;
const winston = (): typeof WinstonModule => (winstonModule ??= require('./winston') as typeof WinstonModule);
/* eslint-enable @typescript-eslint/no-require-imports */

export const pinoInstrumentation: InstrumentationDefinition = {
  name: 'pino',
  version: VERSION,
  modules: [
    {
      module: 'pino',
      versions: '>=8 <11',
      file: 'lib/proto.js',
      patch: (exports) => pino().patchPinoPrototype(exports),
      unpatch: (exports) => pino().unpatchPinoPrototype(exports),
    },
  ],
};

export const winstonInstrumentation: InstrumentationDefinition = {
  name: 'winston',
  version: VERSION,
  modules: [
    {
      module: 'winston',
      versions: '>=3 <4',
      file: 'lib/winston/logger.js',
      patch: (exports) => winston().patchWinstonLogger(exports),
      unpatch: (exports) => winston().unpatchWinstonLogger(exports),
    },
  ],
};
