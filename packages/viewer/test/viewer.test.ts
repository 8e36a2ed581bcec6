// startViewer as a library: printing to a stream (colour only for a terminal
// without NO_COLOR), listen errors that say which server and leave nothing open.
import * as net from 'net';
import { PassThrough } from 'stream';
import { startViewer, ViewerListenError } from '../src';
import { postProto, SHOP, shopRequest, waitFor } from './helpers';

function capture(isTTY: boolean): { stream: PassThrough; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

async function printed(isTTY: boolean): Promise<string> {
  const out = capture(isTTY);
  const viewer = await startViewer({ otlpPort: 0, httpPort: 0, print: out.stream, quietMillis: 20 });
  try {
    await postProto(viewer.otlpUrl, shopRequest());
    const plain = () => out.text().replace(/\x1b\[\d+m/g, '');
    return await waitFor('three printed traces', () => (plain().split('\ntrace ').length === 4 ? out.text() : undefined));
  } finally {
    await viewer.close();
  }
}

describe('printing', () => {
  const saved = process.env.NO_COLOR;
  afterEach(() => {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  });

  test('each finished trace is printed once, in colour on a terminal', async () => {
    delete process.env.NO_COLOR;
    const text = await printed(true);
    expect(text).toContain('\x1b[31m✗ product 13 exploded\x1b[0m');
    for (const id of Object.values(SHOP)) expect(text.split(`trace ${id}`)).toHaveLength(2);
  });

  test('no colour when NO_COLOR is set, or when the stream is not a terminal', async () => {
    process.env.NO_COLOR = '1';
    expect(await printed(true)).not.toContain('\x1b');
    delete process.env.NO_COLOR;
    expect(await printed(false)).not.toContain('\x1b');
  });
});

test('a taken port is a ViewerListenError naming the server, and nothing stays open', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const error = await startViewer({ otlpPort: 0, httpPort: port, print: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ViewerListenError);
    expect(error).toMatchObject({ code: 'EADDRINUSE', role: 'web', port, message: `port ${port} on 127.0.0.1 is already in use (web UI)` });
    // The OTLP server that did start was closed again: the same options work once the port is free.
    blocker.close();
    const viewer = await startViewer({ otlpPort: 0, httpPort: port, print: false });
    expect(viewer.webUrl).toBe(`http://127.0.0.1:${port}`);
    await viewer.close();
  } finally {
    blocker.close();
  }
});
