/**
 * The sandbox closes without waiting out keep-alive timeouts: a request busy when close() starts
 * gets its answer and its connection is closed after it; one that never finishes is cut off.
 * (Node closes idle connections once, at close(); a connection busy then used to hold the
 * close for Fastify's 72 s keep-alive timeout.)
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startSandbox } from './server.js';

/** Head and half the body of a keep-alive POST now; the rest on finish(). */
function holdRequest(url: string, path: string, body: string) {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: keep-alive\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body.slice(0, half),
  );
  socket.on('error', () => undefined);
  let text = '';
  const answer = new Promise<string>((resolve) =>
    socket.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      if (text.includes('\r\n\r\n')) resolve(text);
    }),
  );
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, answer, closed, finish: () => socket.write(body.slice(half)) };
}

async function stoppedListening(server: { listening: boolean }): Promise<void> {
  while (server.listening) await new Promise((r) => setTimeout(r, 10));
}

describe('sandbox close', () => {
  it('answers a request busy at close, then closes its keep-alive connection', async () => {
    const sandbox = await startSandbox({ port: 0 });
    const { server } = sandbox;
    const seen = new Promise<void>((resolve) => server.once('request', () => resolve()));
    const held = holdRequest(sandbox.url, '/__shop/faults', JSON.stringify({ stockUpdates: 'ok' }));
    await seen;
    const closing = sandbox.close();
    await stoppedListening(server);
    held.finish();
    expect(await held.answer).toMatch(/^HTTP\/1\.1 200 /);
    await closing;
    await held.closed;
    expect(held.socket.destroyed).toBe(true);
  }, 30_000);

  it('cuts off a request that never finishes', async () => {
    const sandbox = await startSandbox({ port: 0 });
    const { server } = sandbox;
    const seen = new Promise<void>((resolve) => server.once('request', () => resolve()));
    const held = holdRequest(sandbox.url, '/__shop/faults', JSON.stringify({ stockUpdates: 'ok' }));
    await seen;
    await sandbox.close();
    await held.closed;
    expect(held.socket.destroyed).toBe(true);
  }, 30_000);
});
