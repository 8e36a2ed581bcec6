// The 30-second demo: starts services A and B with the preload, sends one
// request to A, collects the spans both export over OTLP/JSON, and prints the
// trace as a tree. Run with `npm start` from the repository root.
const { spawn } = require('child_process');
const http = require('http');
const path = require('path');

const spans = [];

const receiver = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    try {
      for (const rs of JSON.parse(body).resourceSpans || []) {
        const service = (rs.resource.attributes.find((a) => a.key === 'service.name') || {}).value.stringValue;
        for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ service, ...span });
      }
      res.end('{}');
    } catch (error) {
      res.statusCode = 400;
      res.end(String(error));
    }
  });
});

function startService(file, name, env) {
  const child = spawn(process.execPath, ['-r', '@tracewire/register', path.join(__dirname, file)], {
    env: { ...process.env, ...env, OTEL_SERVICE_NAME: name, OTEL_BSP_SCHEDULE_DELAY: '100' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (line) => resolve({ child, port: Number(/listening (\d+)/.exec(String(line))[1]) }));
  });
}

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

function printTree() {
  const KIND = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
  const children = new Map();
  for (const s of spans) {
    const list = children.get(s.parentSpanId || '') || [];
    list.push(s);
    children.set(s.parentSpanId || '', list);
  }
  const print = (span, depth) => {
    const ms = (Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6).toFixed(1);
    const attr = (key) => ((span.attributes || []).find((a) => a.key === key) || { value: {} }).value.stringValue;
    const target = attr('url.full') || attr('url.path') || '';
    console.log(`${'  '.repeat(depth)}${span.service.padEnd(10)} ${KIND[span.kind].padEnd(7)} ${span.name.padEnd(6)} ${ms.padStart(6)} ms  ${target}`);
    for (const child of (children.get(span.spanId) || []).sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1))) print(child, depth + 1);
  };
  const roots = children.get('') || [];
  for (const root of roots) {
    console.log(`\ntrace ${root.traceId}`);
    print(root, 1);
  }
}

async function main() {
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.address().port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  const b = await startService('b.js', 'service-b', otlp);
  const a = await startService('a.js', 'service-a', { ...otlp, B_URL: `http://127.0.0.1:${b.port}` });
  const response = await get(`http://127.0.0.1:${a.port}/checkout`);
  console.log(`GET /checkout on service A → ${response.status} ${response.body}`);
  const deadline = Date.now() + 5000;
  while (spans.length < 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  printTree();
  console.log(`\n${spans.length} spans, ${new Set(spans.map((s) => s.traceId)).size} trace(s).`);
  a.child.kill('SIGTERM');
  b.child.kill('SIGTERM');
  receiver.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
