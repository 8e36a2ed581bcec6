// The definition core's hook machinery consumes: http and https patched on
// their module objects, fetch through undici's diagnostics channels.
import { InstrumentationDefinition } from '@tracewire/core';
import { disableFetch, enableFetch } from './fetch';
import { patchHttp, patchHttps, unpatchHttp, unpatchHttps } from './patch';
import { SCOPE } from './shared';

export const httpInstrumentation: InstrumentationDefinition = {
  name: SCOPE,
  modules: [
    { module: 'http', patch: patchHttp, unpatch: unpatchHttp },
    { module: 'https', patch: patchHttps, unpatch: unpatchHttps },
  ],
  enable: enableFetch,
  disable: disableFetch,
};
