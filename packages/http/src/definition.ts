// The definition core's hook machinery consumes: http and https patched on
// their module objects, fetch through undici's diagnostics channels.
//
// Light on purpose: the preload loads this file for every process, so the
// patch code (patch.ts, fetch.ts and everything they import) is required only
// when an app first loads http or https, or when its first fetch starts.
import * as diagnosticsChannel from 'diagnostics_channel';
import type { InstrumentationDefinition } from '@tracewire/core';
import type * as FetchModule from './fetch';
import type * as PatchModule from './patch';
import { SCOPE, VERSION } from './version';

/* eslint-disable @typescript-eslint/no-require-imports */
let patchModule: typeof PatchModule | undefined;
const patches = (): typeof PatchModule => (patchModule ??= require('./patch') as typeof PatchModule);
let fetchModule: typeof FetchModule | undefined;
const fetch = (): typeof FetchModule => (fetchModule ??= require('./fetch') as typeof FetchModule);
/* eslint-enable @typescript-eslint/no-require-imports */

type Listener = (message: unknown, name: string | symbol) => void;

/** undici's request channels, each forwarded to fetch.ts's listener (loaded by the first message). */
const FETCH_CHANNELS = ['undici:request:create', 'undici:request:headers', 'undici:request:trailers', 'undici:request:error'];
const forwarders: ReadonlyArray<readonly [string, Listener]> = FETCH_CHANNELS.map((channel) => [
  channel,
  (message, name) => fetch().fetchListeners[channel](message, name),
]);

let subscribed = false;

/** Subscribes to undici's channels (idempotent). */
function enableFetch(): void {
  if (subscribed) return;
  for (const [name, listener] of forwarders) diagnosticsChannel.subscribe(name, listener);
  subscribed = true;
}

function disableFetch(): void {
  if (!subscribed) return;
  subscribed = false;
  for (const [name, listener] of forwarders) diagnosticsChannel.unsubscribe(name, listener);
}

export const httpInstrumentation: InstrumentationDefinition = {
  name: SCOPE,
  version: VERSION,
  modules: [
    { module: 'http', patch: (exports) => patches().patchHttp(exports), unpatch: (exports) => patches().unpatchHttp(exports) },
    { module: 'https', patch: (exports) => patches().patchHttps(exports), unpatch: (exports) => patches().unpatchHttps(exports) },
  ],
  enable: enableFetch,
  disable: disableFetch,
};
