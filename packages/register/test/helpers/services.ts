// Child processes for the preload's end-to-end tests: a fixture service that
// prints `listening <port>` once it serves, or a script run to its end. Both
// are asynchronous (the OTLP receivers live in the test process) and tracked,
// so a test file's afterAll can kill what is left with killAll().
import { ChildProcess, spawn } from 'child_process';

const children = new Set<ChildProcess>();

export interface Started {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node <args>` in `cwd` and resolves once it printed `listening <port>`; rejects if it exits first. */
export function startService(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Started> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before listening: ${stderr}`)));
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const m = /listening (\d+)\n/.exec(stdout);
      if (m) resolve({ child, port: Number(m[1]), stderr: () => stderr, exited });
    });
  });
}

/** Runs `node <args>` in `cwd` to its end. */
export function runNode(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) =>
    child.once('close', (status) => {
      children.delete(child);
      resolve({ status, stdout, stderr });
    }),
  );
}

/** Kills every child still running (afterAll). */
export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}
