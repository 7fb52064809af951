/**
 * The built CLI as a subprocess (`runBin`), at most two at a time per test file. Cases that do
 * not depend on each other start their commands together, so one core waits less on another's
 * subprocess; the cap keeps a file from starting more processes than the 2-core CI machine runs
 * at once (each start loads the whole CLI: seconds of CPU). A command's hang timer starts when
 * its process does, not while it waits for a slot.
 */
import { runBin, type BinResult } from './cli.js';

const SLOTS = 2;
let free = SLOTS;
const waiting: Array<() => void> = [];

export async function runBinInSlot(
  args: readonly string[],
  opts: Parameters<typeof runBin>[1],
): Promise<BinResult> {
  if (free > 0) free--;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await runBin(args, opts);
  } finally {
    // Hand the slot straight to the next waiting command, or give it back.
    const next = waiting.shift();
    if (next) next();
    else free++;
  }
}
