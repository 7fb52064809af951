/**
 * Makes SQLite commits durable without blocking the event loop.
 *
 * With `synchronous=FULL`, SQLite fsyncs the WAL inside COMMIT, and better-sqlite3 runs COMMIT on
 * the event loop: every group commit stalled all HTTP work for the length of an fsync (about a
 * fifth of the hub's time in the profile). Instead the connection runs `synchronous=NORMAL`
 * (COMMIT writes the WAL frames into the page cache, which already survives a process crash) and
 * this class fdatasyncs the WAL file on libuv's thread pool; the group committer settles a
 * batch's callers only after a sync that *started after* their COMMIT returned. That is the same
 * promise as FULL: nothing is acknowledged before it is on disk.
 *
 * Why that is safe with checkpoints: in WAL mode with NORMAL, SQLite syncs the WAL before each
 * checkpoint and the database file after it, and syncs the WAL header before the file is reused.
 * A frame that a checkpoint moved into the database (and whose WAL slot was then reused) is
 * therefore already durable when our later fdatasync runs; a frame still in the WAL is made
 * durable by it. The WAL file keeps its inode while a connection is open (it is reset or
 * truncated, never replaced), so one descriptor opened at start serves for the hub's lifetime.
 *
 * Commits made outside the group committer (a statement run straight on `store.db`) are synced
 * on the spot by the statement wrapper in db.ts (`syncNow`), so every commit keeps FULL's promise.
 */
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import type { DeferredDurability } from './group-commit.js';

export class WalSync implements DeferredDurability {
  groupCommitting = false;
  readonly #path: string;
  #fd: number | undefined;
  /** The sync running now, if any. */
  #running: Promise<void> | undefined;
  /** One sync queued behind the running one, shared by everyone who asked meanwhile. */
  #queued: Promise<void> | undefined;

  constructor(walPath: string) {
    this.#path = walPath;
  }

  /** Resolves once everything written to the WAL before this call is on disk. */
  sync(): Promise<void> {
    // A sync already running may have started before the caller's write: it cannot count.
    if (!this.#running) return (this.#running = this.#start());
    this.#queued ??= this.#running.then(
      () => this.#promote(),
      () => this.#promote(),
    );
    return this.#queued;
  }

  #promote(): Promise<void> {
    this.#queued = undefined;
    return (this.#running = this.#start());
  }

  #start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let fd: number;
      try {
        fd = this.#descriptor();
      } catch (err) {
        reject(err);
        return;
      }
      fdatasync(fd, (err) => (err ? reject(err) : resolve()));
    }).finally(() => {
      if (!this.#queued) this.#running = undefined;
    });
  }

  /**
   * For a commit made outside the group committer (a single statement on `store.db`, a CLI
   * command): syncs on the spot, on the event loop, as SQLite's own FULL would have.
   */
  syncNow(): void {
    fdatasyncSync(this.#descriptor());
  }

  /** Opened on first use: SQLite creates the WAL with its first write transaction. */
  #descriptor(): number {
    return (this.#fd ??= openSync(this.#path, 'r'));
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
