// Context propagation: reading a trace (and baggage) from incoming headers and
// writing it into outgoing ones, in the W3C, B3 and Jaeger formats.
export { defaultGetter, defaultSetter } from './headers';
export { traceContextPropagator, parseTraceParent, formatTraceParent, parseTraceState } from './tracecontext';
export { baggagePropagator, parseBaggage, serializeBaggage } from './baggage';
export { b3Propagator, b3MultiPropagator } from './b3';
export { jaegerPropagator } from './jaeger';
export { CompositePropagator, propagatorsFromEnv } from './composite';
