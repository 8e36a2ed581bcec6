// ReadableSpan fixtures for exporter tests: plain objects, so encoders are
// tested without depending on the tracer.
import { InstrumentationScope, ReadableSpan, Resource, SpanKind, SpanStatusCode } from '../../src/types';

export const HTTP_SCOPE: InstrumentationScope = { name: '@tracewire/http', version: '0.1.0' };

export const testResource: Resource = {
  attributes: { 'service.name': 'checkout', 'service.version': '1.2.3', 'process.pid': 4242 },
};

/** A typical server span (8 attributes, the kind of span the http instrumentation makes). */
export function testSpan(overrides: Partial<ReadableSpan> = {}): ReadableSpan {
  return {
    name: 'GET /users/:id',
    kind: SpanKind.SERVER,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    traceState: undefined,
    parentSpanId: undefined,
    parentIsRemote: false,
    startTime: 1000.123456,
    endTime: 1012.654321,
    attributes: {
      'http.request.method': 'GET',
      'url.path': '/users/42',
      'url.scheme': 'http',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
      'server.address': 'api.example.com',
      'server.port': 8080,
      'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)',
    },
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: SpanStatusCode.UNSET },
    scope: HTTP_SCOPE,
    ...overrides,
  };
}
