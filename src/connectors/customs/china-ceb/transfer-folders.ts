/**
 * The customs transfer client's folders, as real declarants use them: the hub writes each
 * envelope into `outbox/` (written in `.staging/` beside it, fsynced, then renamed in, so the
 * client never reads half a file nor a leftover temporary one) and reads receipts from `inbox/`. A receipt is claimed by renaming it into
 * `inbox/.claimed/` (atomic: two readers cannot both take it), processed, then moved to
 * `inbox/.done/`. A crash leaves it in `.claimed/`, where the next run takes it first; the caller
 * makes applying it idempotent, so each receipt takes effect once across restarts.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface ClaimedFile {
  name: string;
  path: string;
  content: string;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export class TransferFolders {
  readonly outbox: string;
  readonly inbox: string;
  readonly #claimed: string;
  readonly #done: string;
  readonly #staging: string;

  constructor(readonly root: string) {
    this.outbox = join(root, 'outbox');
    this.inbox = join(root, 'inbox');
    this.#claimed = join(this.inbox, '.claimed');
    this.#done = join(this.inbox, '.done');
    this.#staging = join(root, '.staging');
    for (const d of [this.outbox, this.inbox, this.#claimed, this.#done, this.#staging])
      mkdirSync(d, { recursive: true });
  }

  /** Writes `content` as `outbox/name` atomically; rewriting the same name replaces it whole. */
  send(name: string, content: string): void {
    if (!SAFE_NAME.test(name)) throw new Error(`unsafe outbox file name ${name}`);
    // Written outside the outbox and renamed in: a crash mid-write leaves nothing the client reads.
    const tmp = join(this.#staging, `${name}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.outbox, name));
    const dir = openSync(this.outbox, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /** The next receipt: one left claimed by an earlier run first, else the oldest in the inbox. */
  claimNext(): ClaimedFile | undefined {
    const left = readdirSync(this.#claimed)
      .filter((f) => !f.startsWith('.'))
      .sort();
    if (left[0]) return this.#read(left[0]);
    const waiting = readdirSync(this.inbox, { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
    for (const name of waiting) {
      try {
        renameSync(join(this.inbox, name), join(this.#claimed, name));
      } catch {
        continue; // another reader took it
      }
      return this.#read(name);
    }
    return undefined;
  }

  #read(name: string): ClaimedFile {
    const path = join(this.#claimed, name);
    return { name, path, content: readFileSync(path, 'utf8') };
  }

  /** Marks a claimed receipt processed. */
  done(file: ClaimedFile): void {
    const target = join(this.#done, basename(file.path));
    if (existsSync(file.path)) renameSync(file.path, target);
  }
}
