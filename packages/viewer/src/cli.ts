#!/usr/bin/env node
// tracewire-viewer: the viewer on its own, for any app that exports OTLP.
import { parseArgs } from 'util';
import { startViewer, ViewerListenError } from './viewer';

const USAGE = `usage: tracewire-viewer [--otlp-port 4318] [--port 16686] [--host 127.0.0.1] [--quiet]

  --otlp-port N   OTLP/HTTP receiver port (0: any free port)
  --port N        web UI port (0: any free port)
  --host H        interface for both (default 127.0.0.1; the viewer has no authentication)
  --quiet         do not print finished traces in the terminal
`;

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new Error(`${flag} must be a port number from 0 to 65535, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let options;
  try {
    const { values } = parseArgs({
      options: {
        'otlp-port': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return;
    }
    options = {
      otlpPort: port(values['otlp-port'], '--otlp-port', 4318),
      httpPort: port(values.port, '--port', 16686),
      host: values.host ?? '127.0.0.1',
      print: !values.quiet,
    };
  } catch (error) {
    process.stderr.write(`tracewire-viewer: ${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }

  let viewer;
  try {
    viewer = await startViewer(options);
  } catch (error) {
    const hint = error instanceof ViewerListenError ? `; choose another with ${error.role === 'otlp' ? '--otlp-port' : '--port'}` : '';
    process.stderr.write(`tracewire-viewer: ${(error as Error).message}${hint}\n`);
    process.exitCode = 1;
    return;
  }
  const endpoint = viewer.otlpUrl.slice(0, -'/v1/traces'.length);
  process.stdout.write(
    `tracewire viewer: OTLP receiver on ${viewer.otlpUrl}, UI on ${viewer.webUrl}\n` +
      `  point an app at it with OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint} (Ctrl-C stops)\n`,
  );

  let stopping = false;
  const stop = () => {
    // A second Ctrl-C does not wait for the clean close.
    if (stopping) process.exit(130);
    stopping = true;
    void viewer.close();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
