// Opt-in spans per router layer (tracing({ middlewareSpans: true })), named as
// OpenTelemetry's Express instrumentation names them: `middleware - <name>`,
// `router - <mount path>` for a mounted Router or app, `request handler -
// <route>` for a route, with `express.type` and `express.name`. A span is
// active while its handler runs and ends when the handler passes the request
// on (next), or when the response is done for the handler that answered.
// Passing on resumes in the context the layer was entered in, so layers are
// siblings under the server span (or under their router's span), not a chain.
import { activeContext, applyInContext, Attributes, contextWithSpan, getTracer, recordError } from '@tracewire/core';
import type { LayerInfo, LayerLike } from './layers';
import { isError, RequestState, templateHere, watchResponse } from './state';
import { SCOPE, VERSION } from './version';

const tracer = getTracer(SCOPE, VERSION);

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

/** Functions Express uses to mount a Router or an app. */
const ROUTERS: ReadonlySet<string> = new Set(['router', 'mounted_app']);

function describe(state: RequestState, layer: LayerLike, info: LayerInfo): { name: string; attributes: Attributes } {
  if (info.kind === 'route') {
    const route = state.route;
    return {
      name: route === undefined ? 'request handler' : `request handler - ${route}`,
      attributes: { 'express.type': 'request_handler', 'express.name': route, 'http.route': route },
    };
  }
  const name = typeof layer.name === 'string' && layer.name.length > 0 ? layer.name : '<anonymous>';
  if (ROUTERS.has(name)) {
    const mount = templateHere(state, state.mount) ?? '<unknown>';
    return { name: `router - ${mount}`, attributes: { 'express.type': 'router', 'express.name': mount } };
  }
  return { name: `middleware - ${name}`, attributes: { 'express.type': 'middleware', 'express.name': name } };
}

/**
 * Calls the layer method `original` with `args` inside a span for the layer;
 * `args[nextIndex]` is the layer's `next`, replaced by one that ends the span.
 * An error is recorded on the span of the layer that raised it: not on an error
 * handler passing on the error it was given (`incoming`), nor on the routers it
 * then leaves.
 */
export function callWithSpan(
  state: RequestState,
  layer: LayerLike,
  info: LayerInfo,
  original: AnyFunction,
  self: unknown,
  args: IArguments,
  nextIndex: number,
  incoming: unknown,
): unknown {
  const next = args[nextIndex];
  if (typeof next !== 'function') return Reflect.apply(original, self, args);
  const { name, attributes } = describe(state, layer, info);
  const parent = activeContext();
  const span = tracer.startSpan(name, { attributes }, parent);
  let open = true;
  const end = (err?: unknown): void => {
    if (!open) return;
    open = false;
    state.open!.delete(end);
    if (isError(err) && err !== incoming && err !== state.spanError) {
      state.spanError = err;
      recordError(span, err);
    }
    span.end();
  };
  (state.open ??= new Set()).add(end);
  watchResponse(state);
  const params = Array.prototype.slice.call(args);
  params[nextIndex] = function (this: unknown, err?: unknown): unknown {
    end(err);
    return applyInContext(parent, next, this, arguments);
  };
  return applyInContext(contextWithSpan(parent, span), original, self, params);
}
