/**
 * A hub's shutdown always ends, and loses nothing by ending:
 * - a request in flight when close() starts gets its answer, and its keep-alive connection is
 *   closed after it (Node closes idle connections once, at close(); a connection busy then used
 *   to hold the close for the whole 72 s keep-alive timeout — the PostgreSQL harness hang);
 * - a request still unfinished when the grace period ends is cut off;
 * - a job whose partner call outlasts the grace period is left leased, with no failure recorded
 *   against it, and the next hub on the store runs it again once the lease runs out: the parcel
 *   is shipped once.
 * SQLite and PostgreSQL.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/db.js';
import { localFieldCipher } from '../src/security/field-cipher.js';
import { startHarness, waitFor, type Harness } from './helpers/harness.js';
import { DIALECTS } from './helpers/stores.js';

/** A keep-alive request written by hand: head and half the body now, the rest on `finish()`. */
interface HeldRequest {
  socket: Socket;
  finish(): void;
  /** The first bytes of the answer (its status line onwards). */
  answer: Promise<string>;
  /** Resolves when the connection closes; the client never closes it itself. */
  closed: Promise<void>;
}

function holdRequest(url: string, path: string, body: string): HeldRequest {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: keep-alive\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body.slice(0, half),
  );
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      if (text.includes('\r\n\r\n')) resolve(text);
    });
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  return { socket, finish: () => socket.write(body.slice(half)), answer, closed };
}

describe.each(DIALECTS)('hub shutdown on %s', (dialect) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('answers a request in flight at close and then closes its keep-alive connection, without waiting out the keep-alive timeout', async () => {
    // A grace far beyond this test's timeout: only closing the connection once it is idle ends the close.
    h = await startHarness({ dialect, closeGraceMs: 120_000 });
    const server = h.hub.app.server;
    const seen = new Promise<void>((resolve) => server.once('request', () => resolve()));
    const held = holdRequest(h.hub.url, '/v1/orders', JSON.stringify({ externalId: 'held-at-close' }));
    await seen;
    const closing = h.hub.close();
    await waitFor(() => !server.listening, 10_000, 'the hub to stop listening');
    held.finish();
    expect(await held.answer).toMatch(/^HTTP\/1\.1 [1-5]\d\d /);
    await closing;
    await held.closed;
    expect(held.socket.destroyed).toBe(true);
  }, 40_000);

  it('cuts off a request still unfinished when the grace period ends', async () => {
    h = await startHarness({ dialect, closeGraceMs: 300 });
    const server = h.hub.app.server;
    const seen = new Promise<void>((resolve) => server.once('request', () => resolve()));
    const held = holdRequest(h.hub.url, '/v1/orders', JSON.stringify({ externalId: 'never-finished' }));
    await seen;
    await h.hub.close();
    await held.closed;
    expect(held.socket.destroyed).toBe(true);
  }, 40_000);

  it('leaves a job whose partner call outlasts the grace period to its lease; the next hub ships the parcel once', async () => {
    h = await startHarness({
      dialect,
      closeGraceMs: 300,
      leaseMs: 3000,
      // The call must outlive the grace period rather than time out within it.
      edit: (doc) => {
        doc.partners['carrier-alpha']!.timeoutMs = 60_000;
      },
    });
    await h.faults({ partner: 'carrier-alpha', channel: 'primary', latencyMs: 30_000 });
    const [order] = h.usOrders(1);
    expect((await h.postOrder(order!)).status).toBe(202);
    const leasedShipmentJob = async () =>
      h!.hub.store.db
        .selectFrom('jobs')
        .select(['id', 'status', 'lease_owner', 'attempts', 'last_error'])
        .where('kind', '=', 'shipment.create')
        .executeTakeFirst();
    await waitFor(
      async () => (await leasedShipmentJob())?.status === 'leased' && h!.hub.pool.inFlight > 0,
      30_000,
      'the shipment job to be running',
    );
    const before = await leasedShipmentJob();
    await h.hub.close();

    // Read after the hub closed, through a store of our own: still leased, no failure recorded.
    const reader = await openStore(h.dbUrl, { cipher: localFieldCipher });
    try {
      const after = await reader.db
        .selectFrom('jobs')
        .select(['id', 'status', 'lease_owner', 'attempts', 'last_error'])
        .where('id', '=', before!.id)
        .executeTakeFirstOrThrow();
      expect(after).toEqual(before);
      expect(after.lease_owner).toBe(h.hub.pool.owner);
    } finally {
      await reader.close();
    }

    await h.faults(null);
    const next = await h.peer();
    const shipped = async () =>
      Number(
        (
          await next.store.db
            .selectFrom('shipments')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirst()
        )?.n ?? 0,
      );
    await waitFor(async () => (await shipped()) === 1, 60_000, 'the next hub to ship the parcel');
    expect(
      await next.store.db.selectFrom('jobs').select('id').where('id', '=', before!.id).execute(),
    ).toEqual([]);
    const alpha = (await h.stats()).carriers['carrier-alpha']!;
    expect(alpha.duplicateCreates).toBe(0);
    expect(await shipped()).toBe(1);
  }, 120_000);
});
