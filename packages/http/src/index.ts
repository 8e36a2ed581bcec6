// @tracewire/http: SERVER spans for node:http/https servers, CLIENT spans for
// http/https requests (so axios, got, node-fetch and the like need nothing of
// their own) and for the global fetch. The public surface is the definition
// core's hook machinery consumes, two conveniences, the options, and what
// framework packages need to name the server span after its route.
import { disableInstrumentation, enableInstrumentation, EnableOptions, fastExports } from '@tracewire/core';
import { httpInstrumentation } from './definition';

export { configureHttp } from './config';
export type { FetchRequest, FetchResponse, HttpOptions, OutgoingRequest } from './config';
export { frameworkState, ignoreRequest, serverSpanOf, setFrameworkState, setRoute } from './server';
export { headerAttributeKeys, headerValues } from './attributes';

export { httpInstrumentation } from './definition';
export { enableForFramework } from './frameworks';

/** Turns http, https and fetch tracing on (core's enableInstrumentation). */
export function enable(options?: EnableOptions): void {
  enableInstrumentation(httpInstrumentation, options);
}

/** Turns it off and restores every original. */
export function disable(): void {
  disableInstrumentation(httpInstrumentation);
}

// Last: what express, koa and pg call per request, in an object V8 reads fast (see core's fast-exports.ts).
module.exports = fastExports(exports);
