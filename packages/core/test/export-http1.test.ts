// The exporters' small HTTP/1.1 client against a raw TCP server that answers
// exactly the bytes each test scripts: framing (length, chunked, close), 1xx,
// keep-alive reuse and stale sockets, bounds, timeouts and malformed answers.
import * as net from 'net';
import { AddressInfo } from 'net';
import { Http1Client, Http1Result } from '../src/export/http1';

interface RawServer {
  url: URL;
  /** Connections accepted so far. */
  connections: number;
  /** Every request received, head and body. */
  requests: Array<{ head: string; body: Buffer }>;
  /** Answers request `index` (0-based, over all connections) by writing to the socket. */
  answer: (socket: net.Socket, index: number) => void;
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

/** A server that parses requests with a Content-Length body and lets the test write the answers. */
async function rawServer(): Promise<RawServer> {
  const state: RawServer = {
    url: new URL('http://127.0.0.1/'),
    connections: 0,
    requests: [],
    answer: (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
    sockets: new Set(),
    close: async () => {
      for (const socket of state.sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = net.createServer((socket) => {
    state.connections++;
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = pending.toString('latin1', 0, headEnd);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < headEnd + 4 + length) return;
        const body = pending.subarray(headEnd + 4, headEnd + 4 + length);
        pending = pending.subarray(headEnd + 4 + length);
        const index = state.requests.push({ head, body: Buffer.from(body) }) - 1;
        state.answer(socket, index);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces?x=1`);
  return state;
}

function post(client: Http1Client, body: Buffer | string = 'hello', timeoutMillis = 2000): Promise<Http1Result> {
  return new Promise((resolve) => client.post(Buffer.from(body), timeoutMillis, resolve));
}

describe('Http1Client', () => {
  let server: RawServer;
  let client: Http1Client;

  beforeEach(async () => {
    server = await rawServer();
    client = new Http1Client(server.url, { 'user-agent': 'test/1', 'content-type': 'application/x-protobuf', 'x-api-key': 'k' });
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  test('sends one request: request line with path and query, Host, the headers, Content-Length, the body', async () => {
    const result = await post(client, 'payload-bytes');
    expect(result.response?.statusCode).toBe(200);
    expect(server.requests).toHaveLength(1);
    const [line, ...headers] = server.requests[0].head.split('\r\n');
    expect(line).toBe('POST /v1/traces?x=1 HTTP/1.1');
    expect(headers).toEqual([
      `Host: ${server.url.host}`,
      'user-agent: test/1',
      'content-type: application/x-protobuf',
      'x-api-key: k',
      'Content-Length: 13',
    ]);
    expect(server.requests[0].body.toString()).toBe('payload-bytes');
  });

  test('keeps the connection alive: later requests reuse it', async () => {
    for (let i = 0; i < 5; i++) expect((await post(client)).response?.statusCode).toBe(200);
    expect(server.connections).toBe(1);
  });

  test('reads a Content-Length body split across packets, keeping the first bytes as an excerpt', async () => {
    const body = 'x'.repeat(300) + 'END';
    server.answer = (socket) => {
      socket.write(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
      setTimeout(() => socket.write(body.slice(10)), 20);
    };
    const result = await post(client);
    expect(result.response).toMatchObject({ statusCode: 500, statusMessage: 'Internal Server Error', contentType: 'text/plain' });
    expect(result.response?.excerpt).toBe('x'.repeat(256));
    // The body was read to its end, so the connection is still usable.
    server.answer = (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect((await post(client)).response?.statusCode).toBe(200);
    expect(server.connections).toBe(1);
  });

  test('reads a chunked body with extensions and trailers, in pieces', async () => {
    server.answer = (socket) => {
      const bytes = 'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '5;ext=1\r\n{"a":\r\n3\r\n12}\r\n0\r\nX-Trailer: yes\r\n\r\n';
      let at = 0;
      const step = (): void => {
        socket.write(bytes.slice(at, at + 7));
        at += 7;
        if (at < bytes.length) setImmediate(step);
      };
      step();
    };
    const result = await post(client);
    expect(result.response).toMatchObject({ statusCode: 429, retryAfter: '7', excerpt: '{"a":12}' });
    server.answer = (socket) => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    expect((await post(client)).response?.statusCode).toBe(200);
    expect(server.connections).toBe(1);
  });

  test('a body delimited by the end of the connection: complete at the close, and the socket is not reused', async () => {
    server.answer = (socket) => socket.end('HTTP/1.1 200 OK\r\n\r\npartial_success');
    const first = await post(client);
    expect(first.response).toMatchObject({ statusCode: 200, excerpt: 'partial_success' });
    server.answer = (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect((await post(client)).response?.statusCode).toBe(200);
    expect(server.connections).toBe(2);
  });

  test('skips 100 Continue and reads the final answer', async () => {
    server.answer = (socket) => socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
    expect((await post(client)).response?.statusCode).toBe(204);
  });

  test.each([
    ['Connection: close', 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'],
    ['HTTP/1.0 without keep-alive', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'],
  ])('%s: the socket is not reused', async (_label, answer) => {
    server.answer = (socket) => socket.write(answer);
    await post(client);
    await post(client);
    expect(server.connections).toBe(2);
  });

  test('HTTP/1.0 with keep-alive is reused', async () => {
    server.answer = (socket) => socket.write('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n');
    await post(client);
    await post(client);
    expect(server.connections).toBe(1);
  });

  test('a kept-alive socket the server closed is replaced, and the request sent again, without an error', async () => {
    expect((await post(client)).response?.statusCode).toBe(200);
    // The server drops the idle connection; the client may not have seen the FIN yet.
    for (const socket of server.sockets) socket.destroy();
    const again = await post(client);
    expect(again.error).toBeUndefined();
    expect(again.response?.statusCode).toBe(200);
    expect(server.connections).toBe(2);
  });

  test('a reused socket closed before any answer: sent again once, on a new socket', async () => {
    server.answer = (socket, index) => {
      if (index === 1) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    };
    expect((await post(client, 'one')).response?.statusCode).toBe(200);
    const second = await post(client, 'two');
    expect(second.error).toBeUndefined();
    expect(second.response?.statusCode).toBe(200);
    expect(server.requests.map((r) => r.body.toString())).toEqual(['one', 'two', 'two']);
    expect(server.connections).toBe(2);
  });

  test('a connection closed before any answer on a fresh socket is an error, retried by the caller (transport)', async () => {
    server.answer = (socket) => socket.destroy();
    const result = await post(client);
    expect(result.response).toBeUndefined();
    expect(result.transport).toBe(true);
    expect(result.error?.message).toMatch(/closed/);
  });

  test('no answer within the time limit: a transport error, and the socket is dropped', async () => {
    server.answer = () => {};
    const started = Date.now();
    const result = await post(client, 'x', 150);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(result).toMatchObject({ transport: true });
    expect(result.error?.message).toBe('no response within 150 ms');
    server.answer = (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect((await post(client)).response?.statusCode).toBe(200);
    expect(server.connections).toBe(2);
  });

  test.each([
    ['a bad status line', 'HTCPCP/1.0 418 I am a teapot\r\n\r\n', /bad status line/],
    ['a bad content-length', 'HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n', /content-length/],
    ['conflicting content-lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', /conflicting/],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
  ])('%s is an invalid response (not a transport error)', async (_label, answer, message) => {
    server.answer = (socket) => socket.write(answer);
    const result = await post(client);
    expect(result.transport).toBeFalsy();
    expect(result.error?.message).toMatch(message);
  });

  test('a response head over 64 KiB is an error, not unbounded memory', async () => {
    server.answer = (socket) => socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}`);
    const result = await post(client);
    expect(result.error?.message).toMatch(/response head larger than 65536 bytes/);
  });

  test('a body over 1 MiB is not read: the status is kept, the socket closed', async () => {
    server.answer = (socket) => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\nabc`);
    expect((await post(client)).response?.statusCode).toBe(200);
    server.answer = (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect((await post(client)).response?.statusCode).toBe(200);
    expect(server.connections).toBe(2);
  });

  test('a refused connection is a transport error naming the cause', async () => {
    const port = server.url.port;
    await server.close();
    const dead = new Http1Client(new URL(`http://127.0.0.1:${port}/v1/traces`), {});
    const result = await post(dead);
    dead.destroy();
    expect(result.transport).toBe(true);
    expect(result.error?.message).toContain('ECONNREFUSED');
    server = await rawServer();
  });

  test('tells the write tracker when the body write starts and is done', async () => {
    const events: string[] = [];
    const result = await new Promise<Http1Result>((resolve) =>
      client.post(Buffer.from('body'), 2000, resolve, { started: () => events.push('started'), written: () => events.push('written') }),
    );
    expect(result.response?.statusCode).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['started', 'written']);
  });

  test('after destroy() a post fails at once, and no socket is left open', async () => {
    await post(client);
    client.destroy();
    const result = await post(client);
    expect(result.error?.message).toBe('exporter is shut down');
    await new Promise((r) => setTimeout(r, 20));
    expect(server.sockets.size).toBe(0);
  });

  test('idle sockets do not keep the process alive (they are unref\'ed)', async () => {
    await post(client);
    // Reach into the idle list: the socket handle must not hold the event loop.
    const idle = (client as unknown as { idle: Array<{ socket: net.Socket & { _handle?: { hasRef(): boolean } } }> }).idle;
    expect(idle).toHaveLength(1);
    expect(idle[0].socket._handle?.hasRef()).toBe(false);
  });

  test('a socket with a request in flight does not keep the process alive either (a collector that never answers would hold it)', async () => {
    server.answer = () => {};
    const pending = post(client, 'hello', 300);
    await new Promise((r) => setTimeout(r, 50));
    const open = (client as unknown as { open: Set<{ pending: unknown; socket: net.Socket & { _handle?: { hasRef(): boolean } } }> }).open;
    const busy = [...open].filter((c) => c.pending !== undefined);
    expect(busy).toHaveLength(1);
    expect(busy[0].socket._handle?.hasRef()).toBe(false);
    expect((await pending).error?.message).toBe('no response within 300 ms');
  });

  test('probe: a listening endpoint reports no error and sends nothing; a closed port reports ECONNREFUSED at once', async () => {
    const probe = (c: Http1Client): Promise<(Error & { code?: string }) | undefined> => new Promise((resolve) => c.probe(resolve));
    expect(await probe(client)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 20));
    expect(server.requests).toHaveLength(0);
    expect(server.connections).toBe(1);
    const port = server.url.port;
    await server.close();
    const started = Date.now();
    const error = await probe(new Http1Client(new URL(`http://127.0.0.1:${port}/v1/traces`), {}));
    expect(error?.code).toBe('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(500);
    server = await rawServer();
  });
});
