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
