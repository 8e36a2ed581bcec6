// Interoperability: an app traced by the OpenTelemetry JS SDK, exporting with
// the SDK's own OTLP exporters (http/json, and http/protobuf with gzip), shows
// up in the viewer unchanged. The SDK packages come from the bench workspace.
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { startViewer, Viewer } from '../src';
import { waitFor } from './helpers';

const APP = path.join(__dirname, 'fixtures', 'otel-sdk-app.js');

let viewer: Viewer;
beforeAll(async () => {
  viewer = await startViewer({ otlpPort: 0, httpPort: 0, print: false, quietMillis: 50 });
});
afterAll(() => viewer.close());

test.each(['http/json', 'http/protobuf'])('the OpenTelemetry SDK exporting %s', async (protocol) => {
  const { stdout } = await promisify(execFile)(process.execPath, [APP, viewer.otlpUrl, protocol], { timeout: 20000 });
  const ids = JSON.parse(stdout) as { traceId: string; rootSpanId: string; childSpanId: string };

  const trace = await waitFor(`the ${protocol} trace to finish`, () => {
    const t = viewer.store.get(ids.traceId);
    return t?.finished ? t : undefined;
  });
  const root = trace.spans.find((s) => s.spanId === ids.rootSpanId);
  const child = trace.spans.find((s) => s.spanId === ids.childSpanId);
  expect(root).toMatchObject({
    name: 'GET /checkout',
    kind: 2,
    parentSpanId: '',
    service: `otel-${protocol}`,
    scope: { name: 'interop', version: '1.0.0' },
    attributes: { 'http.response.status_code': 500, 'url.path': '/checkout', retried: true, ratio: 0.5, tags: ['a', 'b'] },
  });
  expect(child).toMatchObject({
    name: 'auth_service',
    kind: 1,
    parentSpanId: ids.rootSpanId,
    status: { code: 2, message: 'token expired' },
    events: [{ name: 'authenticated', attributes: { 'user.id': 'u1' } }],
  });
  expect(viewer.store.summary(ids.traceId)).toMatchObject({ rootName: 'GET /checkout', spanCount: 2, errorCount: 1 });
});
