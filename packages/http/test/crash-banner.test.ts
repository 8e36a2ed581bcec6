// When app code throws inside something tracewire wraps, the process must crash
// exactly as it would untraced: same exit code, same error, and Node's banner
// (the source excerpt above the stack, which shows where the last `throw` ran)
// pointing at the app's line, not at a rethrow in tracewire's dist files.
// Child processes, since the point is what Node prints as it dies.
import { execFile } from 'child_process';
import * as path from 'path';
import { SpanKind, SpanStatusCode } from '@tracewire/core';

const FIXTURE = path.join(__dirname, 'fixtures', 'crash.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(scenario: string, mode: 'plain' | 'traced' | 'survive'): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FIXTURE, scenario, mode], { timeout: 15000, env: { ...process.env, OTEL_LOG_LEVEL: 'none' } }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
    );
  });
}

/** What Node prints before the stack: `file:line`, the source line, the caret, then the error's first line. */
function banner(stderr: string): { excerpt: string[]; error: string; appFrame: string } {
  const lines = stderr.split('\n');
  const blank = lines.indexOf('');
  return { excerpt: lines.slice(0, blank), error: lines[blank + 1], appFrame: lines[blank + 2] };
}

describe('an uncaught exception in app code tracewire wraps', () => {
  it.each([
    'handler',
    'https-handler',
    'request-data',
    'response-finish',
    'get-callback',
    'response-listener',
    'response-data',
    'response-end',
    'fetch-then',
  ])('%s: the banner shows the app line, with the exit code and error of an untraced run', async (scenario) => {
    const [plain, traced] = await Promise.all([run(scenario, 'plain'), run(scenario, 'traced')]);
    const expected = banner(plain.stderr);
    expect(expected.excerpt[0]).toMatch(new RegExp(`^${FIXTURE.replace(/[.\\/]/g, '\\$&')}:\\d+$`));
    expect(expected.error).toBe(`Error: ${scenario}`);
    const got = banner(traced.stderr);
    expect(got.excerpt).toEqual(expected.excerpt);
    expect(got.excerpt.join('\n')).not.toMatch(/tracewire|packages[\\/](core|http)[\\/]dist/);
    expect(got.error).toBe(expected.error);
    expect(got.appFrame).toBe(expected.appFrame);
    expect(traced.code).toBe(plain.code);
    expect(traced.code).not.toBe(0);
  });

  it('still ends the server span failed by the error, when the app survives it', async () => {
    const { code, stdout } = await run('handler', 'survive');
    expect(code).toBe(0);
    const spans = JSON.parse(stdout) as Array<{ kind: SpanKind; status: { code: SpanStatusCode; message?: string }; errorType: string; events: Array<{ name: string; attributes: Record<string, unknown> }> }>;
    const server = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(server).toHaveLength(1);
    expect(server[0].status).toEqual({ code: SpanStatusCode.ERROR, message: 'handler' });
    expect(server[0].errorType).toBe('Error');
    expect(server[0].events.map((e) => [e.name, e.attributes['exception.message']])).toEqual([['exception', 'handler']]);
    expect(server[0].events[0].attributes['exception.stacktrace']).toContain(FIXTURE);
  });
});
