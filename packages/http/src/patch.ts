// What is wrapped, and the undoing of it. Per module: its Server.prototype.emit
// and its request/get. Shared by both modules (https builds on http's classes):
// the emit of IncomingMessage, ServerResponse and ClientRequest, wrapped while
// either module is patched, so the request and response objects' events run in
// the right context and end the spans without adding a single listener (an
// 'error' listener would change what an unhandled error does).
import type * as httpTypes from 'http';
import type * as https from 'https';
import { syncBuiltinESMExports } from 'module';
import { clientRecordOf, emitClientResponse, wrapClientRequestEmit, wrapRequest } from './client';
import { serverRecordOf, wrapResponseEmit, wrapServerEmit } from './server';
import { active, Emit, emitIn, hasListeners } from './shared';
import { unwrap, wrap } from './wrap';


/** Server requests run their events in the request's context (only events someone listens to
 *  need one); client responses also drive the client span, which end, close and error end. */
function wrapIncomingEmit(original: Emit): Emit {
  return function emit(this: httpTypes.IncomingMessage, event: string | symbol): boolean {
    if (!active.prototypes) return Reflect.apply(original, this, arguments);
    const listened = hasListeners(this, event);
    // A server request's events need its context only when someone listens; a client response's
    // end/close also end the client span, listened or not.
    if (!listened && event !== 'end' && event !== 'close') return Reflect.apply(original, this, arguments);
    const server = serverRecordOf(this);
    if (server !== undefined) return emitIn(server.ctx, original, this, arguments, listened);
    const client = clientRecordOf(this);
    if (client !== undefined) return emitClientResponse(client, original, this, arguments);
    return Reflect.apply(original, this, arguments);
  };
}

const holders = new Set<'http' | 'https'>();

/** Loaded only when patching: an app that never requires http must not pay for loading it. */
function httpModule(): typeof httpTypes {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('http') as typeof httpTypes;
}

function acquirePrototypes(holder: 'http' | 'https'): void {
  if (holders.has(holder)) return;
  if (holders.size === 0) {
    const http = httpModule();
    wrap(http.IncomingMessage.prototype, 'emit', wrapIncomingEmit);
    wrap(http.ServerResponse.prototype, 'emit', wrapResponseEmit);
    wrap(http.ClientRequest.prototype, 'emit', wrapClientRequestEmit);
    active.prototypes = true;
  }
  holders.add(holder);
}

function releasePrototypes(holder: 'http' | 'https'): void {
  if (!holders.delete(holder) || holders.size > 0) return;
  active.prototypes = false;
  const http = httpModule();
  unwrap(http.IncomingMessage.prototype, 'emit');
  unwrap(http.ServerResponse.prototype, 'emit');
  unwrap(http.ClientRequest.prototype, 'emit');
}

type Module = typeof httpTypes | typeof https;

/** ESM named imports of a builtin (`import { request } from 'node:http'`) are bindings Node
 *  refreshes from the CommonJS exports only when asked: without this they keep the unwrapped
 *  functions (or, after disable, the wrappers). */
function syncEsm(): void {
  try {
    syncBuiltinESMExports();
  } catch {
    // Refreshing is best effort: a failure must not undo a patch that worked.
  }
}

function patchModule(exports: Module, name: 'http' | 'https'): void {
  const protocol = name === 'http' ? 'http:' : 'https:';
  wrap(exports.Server.prototype, 'emit', wrapServerEmit(name));
  // get() calls the module's internal request(), not exports.request: both are wrapped.
  wrap(exports, 'request', wrapRequest(name, protocol));
  wrap(exports, 'get', wrapRequest(name, protocol, true));
  acquirePrototypes(name);
  active[name] = true;
  syncEsm();
}

function unpatchModule(exports: Module, name: 'http' | 'https'): void {
  active[name] = false;
  unwrap(exports.Server.prototype, 'emit');
  unwrap(exports, 'request');
  unwrap(exports, 'get');
  releasePrototypes(name);
  syncEsm();
}

export const patchHttp = (exports: typeof httpTypes): void => patchModule(exports, 'http');
export const unpatchHttp = (exports: typeof httpTypes): void => unpatchModule(exports, 'http');
export const patchHttps = (exports: typeof https): void => patchModule(exports, 'https');
export const unpatchHttps = (exports: typeof https): void => unpatchModule(exports, 'https');
