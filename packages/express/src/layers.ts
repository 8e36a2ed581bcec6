// What a router layer contributes to a route template. Express 4 (its own
// lib/router) and Express 5 (router@2) both keep a stack of Layer objects per
// router: `use()` layers (middleware, mounted routers and apps), `route()`
// layers (dispatching to a Route), and, inside each Route, one layer per
// handler. Express 4 keeps no copy of a layer's path string, so the patched
// use()/route() describe each new layer as it is made (describeLayers). Layers
// made before patching (instrument() on an app built earlier) are described
// from what the layer itself shows, on first use.
import { alternativesTemplate, pathTemplate } from './route';

/** On a layer: its description. Symbol.for, so every copy of this package reads the same one. */
const INFO = Symbol.for('tracewire.express.layer');

export type LayerKind = 'use' | 'route' | 'handler';

/** One element of an array path; `probe` matches it alone, made on first need. */
interface Alternative {
  readonly path: unknown;
  readonly template: string;
  probe?: { match(path: string): unknown } | null;
}

export interface LayerInfo {
  readonly kind: LayerKind;
  /**
   * The template; `null` when it cannot be known (then no `http.route` is
   * recorded below it rather than a wrong one); undefined when it depends on
   * the request: array paths (`alternatives`) and `literal` layers.
   */
  readonly template: string | null | undefined;
  readonly alternatives?: readonly Alternative[];
  /** Express 4 use() layer made before patching, with no parameters: the text it matched is its template. */
  readonly literal?: boolean;
  /** A route layer's full template, for the mount templates it was last reached under. */
  joined?: JoinedRoute;
}

/** A full route template and what it was joined from. */
export interface JoinedRoute {
  readonly parts: readonly (string | null)[];
  readonly last: string | undefined;
  readonly route: string;
}

/** The parts of an Express 4 / router@2 Layer read here. */
export interface LayerLike {
  handle?: unknown;
  name?: unknown;
  route?: { path?: unknown } | undefined;
  rawPath?: unknown;
  regexp?: { fast_slash?: unknown };
  slash?: unknown;
  keys?: unknown;
  [INFO]?: LayerInfo;
}

const HANDLER: LayerInfo = Object.freeze({ kind: 'handler', template: null });
const UNKNOWN_USE: LayerInfo = Object.freeze({ kind: 'use', template: null });
const LITERAL_USE: LayerInfo = Object.freeze({ kind: 'use', template: undefined, literal: true });
const ROOT_USE: LayerInfo = Object.freeze({ kind: 'use', template: '/' });

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

function describePath(kind: 'use' | 'route', path: unknown): LayerInfo {
  if (!Array.isArray(path)) return { kind, template: pathTemplate(path) ?? null };
  const flat = path.flat(Infinity) as unknown[];
  if (flat.length === 1) return { kind, template: pathTemplate(flat[0]) ?? null };
  return { kind, template: undefined, alternatives: flat.map((p) => ({ path: p, template: pathTemplate(p) ?? '' })) };
}

/** Describes the layers `router.use(path, …)` or `router.route(path)` just pushed on `stack` from index `from`. */
export function describeLayers(stack: unknown[], from: number, path: unknown, kind: 'use' | 'route'): void {
  if (from >= stack.length) return;
  const info = describePath(kind, path);
  for (let i = from; i < stack.length; i++) {
    const layer = stack[i];
    if (layer !== null && typeof layer === 'object') Object.defineProperty(layer, INFO, { value: info, configurable: true });
  }
}

/** A layer made before patching, described from itself. */
function deriveInfo(layer: LayerLike): LayerInfo {
  // Router-level layers get an own `route` (undefined for use()); layers inside a Route an own `method`.
  if (!hasOwn(layer, 'route')) return HANDLER;
  if (layer.route) return describePath('route', layer.route.path);
  // router@2.2+ keeps the path it was given.
  if (hasOwn(layer, 'rawPath')) return describePath('use', layer.rawPath);
  if (layer.slash === true || layer.regexp?.fast_slash === true) return ROOT_USE;
  // Express 4 without parameters: the mount path matched is the template (in the request's letter case).
  if (layer.regexp !== undefined && Array.isArray(layer.keys) && layer.keys.length === 0) return LITERAL_USE;
  return UNKNOWN_USE;
}

export function layerInfo(layer: LayerLike): LayerInfo {
  let info = layer[INFO];
  if (info === undefined) {
    info = deriveInfo(layer);
    Object.defineProperty(layer, INFO, { value: info, configurable: true });
  }
  return info;
}

type LayerConstructor = new (path: unknown, options: object, fn: () => void) => { match(path: string): unknown };

function noop(): void {}

/** A layer matching one alternative alone, made with the layer's own constructor (so its own path syntax). */
function probeFor(layer: LayerLike, kind: LayerKind, alternative: Alternative): Alternative['probe'] {
  if (alternative.probe === undefined) {
    try {
      const Layer = (layer as { constructor: LayerConstructor }).constructor;
      // Looser than the layer itself (case, trailing slash) is fine: the layer already matched; this only picks which element did.
      alternative.probe = new Layer(alternative.path, { sensitive: false, strict: false, end: kind === 'route' }, noop);
    } catch {
      alternative.probe = null;
    }
  }
  return alternative.probe;
}

/**
 * The template a layer contributes for this request. `matched` is the path
 * the layer matched: for a route the router-relative pathname, for use() the
 * mount path it stripped (from req.baseUrl).
 */
export function templateOf(layer: LayerLike, info: LayerInfo, matched: () => string | undefined): string | null {
  if (info.template !== undefined) return info.template;
  const text = matched();
  if (text === undefined) return null;
  if (info.literal === true) return text === '' ? '/' : text;
  const alternatives = info.alternatives!;
  for (const alternative of alternatives) {
    try {
      if (probeFor(layer, info.kind, alternative)?.match(text === '' ? '/' : text)) return alternative.template;
    } catch {
      // a probe that throws (undecodable text) did not match
    }
  }
  return alternativesTemplate(alternatives.map((a) => a.template));
}
