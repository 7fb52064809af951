// The limit: bench/passthrough.mjs, a bare Node HTTP server that calls the sandbox carrier for
// every order and answers with the waybill (no persistence, no queue, no auth). It counts an
// order done when the carrier answered, so its "stored at" time is the moment the client got
// the answer and its end-to-end latency equals its ingest latency.
import { join } from 'node:path';
import { start, stop } from '../lib/proc.mjs';
import { ROOT } from './waygate.mjs';

export function passthroughSystem() {
  let p;
  return {
    id: 'passthrough',
    label: 'limit: bare pass-through',
    durability: 'none (nothing is stored)',
    synchronous: true,
    async start({ sandboxUrl, log }) {
      p = start(process.execPath, [join(ROOT, 'bench/passthrough.mjs'), '--sandbox-url', sandboxUrl], {
        ready: /listening on (\S+)/,
        name: 'passthrough',
        log,
      });
      const url = await p.ready;
      return { targets: { url, path: '/orders' } };
    },
    pids: () => [p.pid],
    // Done and end-to-end times come from the load client's answers (see compare.mjs).
    done: async () => 0,
    storedAt: async () => new Map(),
    stop: () => stop(p?.child),
  };
}
