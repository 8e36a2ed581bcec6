/**
 * Child-process fixture apps for the instrumentation packages' end-to-end tests:
 * one OTLP receiver per test file (see otlp-receiver.ts), apps started under a
 * preload with OTEL_EXPORTER_OTLP_ENDPOINT pointing at it, killed after each test.
 * An app prints `listening <port>` once it serves.
 *
 *   const apps = useFixtureApps({ cwd: FIXTURES, preload: PRELOAD, script: SERVER, serviceName: 'x', dist });
 *   const url = await apps.start({ SOME_ENV: '1' });
 *   const spans = await apps.receiver().waitForSpans(2);
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import { OtlpReceiver, startOtlpReceiver } from './otlp-receiver';

export interface FixtureAppsOptions {
  cwd: string;
  preload: string;
  script: string;
  serviceName: string;
  /** A compiled file the preload needs; a clear error names the build command when it is missing. */
  dist: string;
}

export interface FixtureApps {
  receiver(): OtlpReceiver;
  /** Starts the script (under the preload unless told otherwise) and resolves with its base URL. */
  start(env?: Record<string, string>, options?: { preload?: boolean; script?: string }): Promise<string>;
}

export function useFixtureApps(options: FixtureAppsOptions): FixtureApps {
  const children: ChildProcess[] = [];
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    if (!fs.existsSync(options.dist)) throw new Error(`${options.dist} is missing: build first with \`npx tsc -b\` (npm test does).`);
    receiver = await startOtlpReceiver();
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    receiver.clear();
  });
  afterAll(() => receiver.close());

  return {
    receiver: () => receiver,
    start(env = {}, { preload = true, script = options.script } = {}) {
      const child = spawn(process.execPath, preload ? ['-r', options.preload, script] : [script], {
        cwd: options.cwd,
        env: {
          PATH: process.env.PATH,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
          OTEL_BSP_SCHEDULE_DELAY: '20',
          OTEL_SERVICE_NAME: options.serviceName,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      return new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`the fixture exited with ${code}: ${stderr}`)));
        child.stdout!.once('data', (line) => {
          const m = /listening (\d+)/.exec(String(line));
          if (m) resolve(`http://127.0.0.1:${m[1]}`);
          else reject(new Error(`unexpected output from the fixture: ${line} ${stderr}`));
        });
      });
    },
  };
}
