/**
 * Files that carry personal data (data-subject exports, order exports, carrier manifests, audit
 * exports) are readable by their owner only, mode 0600 [001-7.3].
 *
 * Each is written to a fresh temporary file beside the target, created exclusively with mode
 * 0600, and renamed over the target when complete. So the file has mode 0600 whatever was there
 * before (the rename replaces an existing, wider file instead of writing into it and keeping its
 * mode; a symlink planted at the path is replaced, not followed), and a failed export never
 * leaves half a file behind.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  createWriteStream,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;

/** A hidden, unique temporary name in the target's directory (a rename stays on one volume). */
function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `data` to `target` with mode 0600, replacing any file there. */
export function writePrivateFile(target: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(target);
  const fd = openSync(tmp, 'wx', PRIVATE_FILE_MODE);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** A private file being streamed: write to `stream`, then `commit` (after it finished) or `abort`. */
export interface PrivateFileWriter {
  stream: WriteStream;
  /** Puts the finished file in place (call after the stream's 'finish'). */
  commit(): void;
  /** Drops the temporary file. */
  abort(): void;
}

export async function openPrivateFile(target: string): Promise<PrivateFileWriter> {
  const tmp = tempPathFor(target);
  const stream = createWriteStream(tmp, { flags: 'wx', mode: PRIVATE_FILE_MODE });
  await once(stream, 'open');
  return {
    stream,
    commit() {
      try {
        renameSync(tmp, target);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
    },
    abort() {
      stream.destroy();
      rmSync(tmp, { force: true });
    },
  };
}
