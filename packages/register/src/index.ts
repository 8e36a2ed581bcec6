// The preload: `node -r @tracewire/register app.js` (CommonJS) or
// `node --import @tracewire/register app.mjs` (ESM, through esm.mjs). Reads the
// OTEL_* environment, starts tracing and turns on every instrumentation
// tracewire ships. Each patches its module only when the app loads it, so an
// app that never touches http or pg pays nothing for them.
import * as diagnosticsChannel from 'diagnostics_channel';
import * as fs from 'fs';
import * as path from 'path';
import { enableInstrumentation, InstrumentationDefinition, instrumentationListWarnings, instrumentationWanted, isPatched, log, otelApiInstrumentation, start } from '@tracewire/core';
// Each package's definition file only: its patch code loads when the app loads what it patches.
import { expressInstrumentation } from '@tracewire/express/dist/definition';
import { httpInstrumentation } from '@tracewire/http/dist/definition';
import { koaInstrumentation } from '@tracewire/koa/dist/definition';
import { pinoInstrumentation, winstonInstrumentation } from '@tracewire/logs/dist/definition';
import { pgInstrumentation } from '@tracewire/pg/dist/definition';
import { postgresInstrumentation } from '@tracewire/postgres/dist/definition';

const instrumentations: InstrumentationDefinition[] = [otelApiInstrumentation, httpInstrumentation, expressInstrumentation, koaInstrumentation, pgInstrumentation, postgresInstrumentation, pinoInstrumentation, winstonInstrumentation];

/**
 * ESM `import http from 'node:http'` never passes through require(), so a
 * builtin can only be patched lazily for CommonJS apps. For an ESM entry
 * (.mjs, .js under "type": "module", or a typeless .js that Node 20.19+/22
 * detects as ESM by its syntax) builtins are patched at once.
 */
export function entryIsEsm(entry: string | undefined): boolean {
  if (!entry) return false;
  if (entry.endsWith('.mjs') || entry.endsWith('.mts')) return true;
  if (entry.endsWith('.cjs') || entry.endsWith('.cts')) return false;
  let dir = path.dirname(path.resolve(entry));
  for (let i = 0; i < 32; i++) {
    let pkg: { type?: unknown } | undefined;
    try {
      pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: unknown };
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
      continue;
    }
    if (pkg?.type === 'module') return true;
    if (pkg?.type === 'commonjs') return false;
    break;
  }
  return looksLikeEsm(entry);
}

/** Module syntax, as Node's detection for typeless files sees it (a cheap approximation: a false positive only costs loading http early). */
const ESM_SYNTAX = /^[ \t]*(?:import[ \t]*[{*'"]|import[ \t]+[\w$]|export[ \t]*[{*]|export[ \t]+[\w$])|\bimport\.meta\b/m;

function looksLikeEsm(entry: string): boolean {
  if (!/\.[jt]sx?$/.test(entry) && path.extname(entry) !== '') return false;
  try {
    return ESM_SYNTAX.test(fs.readFileSync(entry, 'utf8'));
  } catch {
    return false;
  }
}

/** `node --input-type=module -e …` and `--experimental-default-type=module` run ESM with no entry file to look at. */
function esmByFlag(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((f) => f === '--input-type=module' || f === '--experimental-default-type=module');
}

/** True when the app starts as ES modules: its imports of node:http will not pass through require(). */
export function esmEntry(): boolean {
  try {
    return entryIsEsm(process.argv[1]) || esmByFlag();
  } catch {
    return false;
  }
}

export const sdk = start();

/** For esm.mjs: whether the automatic set-up turns an instrumentation on. */
export { instrumentationWanted };

let listsChecked = false;

/** Turns every instrumentation on, less those OTEL_NODE_ENABLED/DISABLED_INSTRUMENTATIONS leave out;
 *  `eagerBuiltins` for ESM apps. Idempotent. */
export function enableAll(eagerBuiltins: boolean): void {
  if (!sdk.enabled) return;
  if (!listsChecked) {
    listsChecked = true;
    instrumentationListWarnings(instrumentations.map((d) => d.name)).forEach((warning) => log.warn(warning));
  }
  for (const definition of instrumentations) {
    if (!instrumentationWanted(definition.name)) continue;
    try {
      enableInstrumentation(definition, { deferBuiltins: !eagerBuiltins });
    } catch (error) {
      log.warn(`could not enable ${definition.name} (${(error as Error)?.message}); it runs untraced.`);
    }
  }
}

const SERVER_CHANNEL = 'http.server.request.start';
const CLIENT_CHANNEL = 'http.client.request.start';

function builtinLoaded(name: string): boolean {
  return (process as unknown as { moduleLoadList?: string[] }).moduleLoadList?.includes(`NativeModule ${name}`) === true;
}

/**
 * The case the start-up decision cannot see: a CommonJS entry that later
 * import()s (or, on Node 20.19+, require()s) an ES module that imports
 * node:http. Nothing required http, so nothing patched it. Node announces each
 * server request (before the server's 'request' event) and each client request
 * on diagnostics channels: the first announcement patches http if it is not
 * yet — that server request is then traced — warns once if a client request
 * went out untraced, and unsubscribes. One channel message per process.
 */
export function watchForUnpatchedHttp(): void {
  const httpPatch = httpInstrumentation.modules.find((m) => m.module === 'http');
  if (httpPatch === undefined) return;
  let done = false;
  const onServer = (): void => check(false);
  const onClient = (): void => check(true);
  function check(client: boolean): void {
    if (done) return;
    done = true;
    try {
      diagnosticsChannel.unsubscribe(SERVER_CHANNEL, onServer);
      diagnosticsChannel.unsubscribe(CLIENT_CHANNEL, onClient);
      if (isPatched(httpPatch!)) return;
      // core patches a builtin the first time it is required; https only if the app loaded it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      for (const name of ['http', 'https']) if (builtinLoaded(name)) require(name);
      if (!isPatched(httpPatch!)) return; // the patch itself failed: core has said so
      if (client) {
        log.warn('node:http was first used by an ES module loaded after start-up (the entry is CommonJS), so requests made before this one were not traced; name the entry .mjs or set "type": "module" to trace from the start.');
      } else {
        log.debug('node:http was loaded by an ES module after start-up; patched it at its first request.');
      }
    } catch {
      // a diagnostics channel subscriber must never throw into the request
    }
  }
  try {
    diagnosticsChannel.subscribe(SERVER_CHANNEL, onServer);
    diagnosticsChannel.subscribe(CLIENT_CHANNEL, onClient);
  } catch {
    // an old Node without these channels: start-up detection alone
  }
}

enableAll(esmEntry());
if (sdk.enabled && instrumentationWanted(httpInstrumentation.name)) watchForUnpatchedHttp();
