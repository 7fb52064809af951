import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { vi } from 'vitest';

/** Runs a `waygate …` command in-process with the given commands registered; returns what it printed. */
export async function runCli(
  register: (program: Command) => void,
  argv: string[],
): Promise<{ out: string; err: string }> {
  const program = new Command('waygate').exitOverride();
  register(program);
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'waygate', ...argv]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { out, err };
}

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the kill timer had to end the process: it would have hung. */
  killed: boolean;
}

/**
 * Runs the built CLI (`bin/waygate.js`, after `npm run build`) as a user would, in `cwd`. A
 * process still running after `killAfterMs` is killed and reported as `killed`, so a hang fails
 * the test instead of stalling it; no timing is asserted.
 */
export function runBin(
  args: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; killAfterMs?: number; stdin?: string },
): Promise<BinResult> {
  const bin = fileURLToPath(new URL('../../bin/waygate.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(opts.stdin ?? '');
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, opts.killAfterMs ?? 15_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed });
    });
  });
}
