// Child processes for the end-to-end tests: fixture apps started from the
// repository root (so `-r`/`--import @tracewire/register` resolve) with a
// clean environment, their stdout kept and read back as JSON log lines, killed
// after each test. Asynchronous throughout: the OTLP receiver lives in this process.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../../../..');
export const FIXTURES = path.resolve(__dirname, '../fixtures');

export type LogLine = Record<string, unknown>;

export interface App {
  port: number;
  /** The JSON lines the app wrote to stdout so far. */
  lines(): LogLine[];
  /** Resolves once `count` lines satisfy `match`; rejects after `timeoutMs` listing what there is. */
  waitForLines(match: (line: LogLine) => boolean, count: number, timeoutMs?: number): Promise<LogLine[]>;
  stderr(): string;
}

const children = new Set<ChildProcess>();

/** Kills what the file's tests started; call in afterEach. */
export function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

/** `PATH` and `HOME` only, then `env`: what the machine's own OTEL_* settings would change stays out. */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

function parseLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Spawns node with `args` from the repository root, keeping what it prints. */
function spawnNode(args: string[], env: Record<string, string>): { child: ChildProcess; stdout(): string; stderr(): string } {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** Starts node with `args`; resolves once it printed `listening <port>`. */
export function startApp(args: string[], env: Record<string, string>): Promise<App> {
  const { child, stdout, stderr } = spawnNode(args, env);
  const lines = (): LogLine[] => parseLines(stdout());
  const app = (port: number): App => ({
    port,
    lines,
    stderr,
    async waitForLines(match, count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (lines().filter(match).length < count) {
        if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${count} matching log lines; stdout: ${stdout()}\nstderr: ${stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return lines().filter(match);
    },
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node ${args.join(' ')} exited with ${code} before listening: ${stderr()}`)));
    child.stdout!.on('data', () => {
      const m = /listening (\d+)\n/.exec(stdout());
      if (m) resolve(app(Number(m[1])));
    });
  });
}

/** Runs node with `args` to its end. */
export function runNode(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { child, stdout, stderr } = spawnNode(args, env);
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout: stdout(), stderr: stderr() })));
}
