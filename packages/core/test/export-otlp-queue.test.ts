// What the batch queue holds with the OTLP/protobuf exporter: the spans' bytes,
// encoded as each span ends, not the span objects. An ended span can then be
// collected at once instead of living in the heap until its batch leaves.
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { getTracer, Sdk, start } from '@tracewire/core';
import { OtlpHttpExporter, OtlpProtocol } from '../src/export/otlp-http';
import { OtlpReceiver, startOtlpReceiver } from './helpers/otlp-receiver';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('the batch queue with the OTLP exporter', () => {
  let receiver: OtlpReceiver;
  let sdk: Sdk | undefined;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await sdk?.shutdown();
    sdk = undefined;
    receiver.clear();
  });
  afterAll(() => receiver.close());

  /** Not in the async function below: its suspended frame could keep the last span reachable. */
  function endSpans(count: number): { refs: Array<WeakRef<object>>; names: string[] } {
    const tracer = getTracer('queue-test');
    const refs: Array<WeakRef<object>> = [];
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const span = tracer.startSpan(`op ${i}`);
      span.setAttribute('index', i).setAttribute('url.path', `/items/${i}`);
      span.end();
      refs.push(new WeakRef(span));
      names.push(`op ${i}`);
    }
    return { refs, names };
  }

  /** Ends `count` spans with a long schedule delay (nothing leaves); returns how many the heap still holds, and the names. */
  async function endSpansAndCollect(protocol: OtlpProtocol, count: number): Promise<{ alive: number; names: string[] }> {
    const exporter = new OtlpHttpExporter({ url: receiver.url, protocol, headers: {}, timeoutMillis: 5000, compression: 'none' });
    sdk = start({ exporter, flushOnExit: false, env: { OTEL_SERVICE_NAME: 'queue-test', OTEL_BSP_SCHEDULE_DELAY: '3600000' } });
    const { refs, names } = endSpans(count);
    // A WeakRef keeps its target until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    gc();
    expect(sdk.stats().queued).toBe(count);
    return { alive: refs.filter((ref) => ref.deref() !== undefined).length, names };
  }

  it('http/protobuf: queued spans are bytes, the span objects are collected, and the batch arrives whole', async () => {
    const { alive, names } = await endSpansAndCollect('http/protobuf', 50);
    expect(alive).toBe(0);
    await sdk!.forceFlush();
    const spans = await receiver.waitForSpans(50);
    expect(spans.map((s) => s.name)).toEqual(names);
    expect(spans[7].attributes).toEqual({ index: 7, 'url.path': '/items/7' });
    expect(sdk!.stats()).toMatchObject({ exported: 50, failed: 0, queued: 0 });
  });

  it('http/json (encoded when the batch leaves): the queue holds the span objects until then', async () => {
    const { alive } = await endSpansAndCollect('http/json', 50);
    expect(alive).toBe(50);
    await sdk!.forceFlush();
    expect(await receiver.waitForSpans(50)).toHaveLength(50);
  });
});
