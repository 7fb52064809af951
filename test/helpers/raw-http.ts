/**
 * HTTP/1.1 requests written by hand over a fresh TCP connection, so a test can end them the way
 * a careless or hostile client does: after the headers, halfway through the body, or right after
 * the body without waiting for the answer.
 */
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How the client ends the request. */
export type Ending = 'complete' | 'after-headers' | 'mid-body' | 'after-body';

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  ending?: Ending;
}

export interface RawAnswer {
  /** Undefined when the client left before the answer. */
  status?: number;
  body?: string;
}

export function sendRaw(port: number, r: RawRequest): Promise<RawAnswer> {
  const body = Buffer.from(r.body ?? '', 'utf8');
  const ending = r.ending ?? 'complete';
  const head =
    `${r.method} ${r.path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\n` +
    `content-length: ${body.length}\r\n` +
    Object.entries(r.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  const sent =
    ending === 'after-headers'
      ? Buffer.from(head)
      : ending === 'mid-body'
        ? Buffer.concat([Buffer.from(head), body.subarray(0, Math.floor(body.length / 2))])
        : Buffer.concat([Buffer.from(head), body]);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('error', (err) => (ending === 'complete' ? reject(err) : resolve({})));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('connect', () => {
      // Destroyed only once the bytes are with the kernel, so the server sees exactly what was sent.
      socket.write(sent, () => {
        if (ending !== 'complete') {
          socket.destroy();
          resolve({});
        }
      });
    });
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      const split = text.indexOf('\r\n\r\n');
      resolve({ status, body: split >= 0 ? text.slice(split + 4) : '' });
    });
  });
}

/** Counts the server's connections, so a test can wait until the server has seen each one end. */
export function connectionCounter(app: FastifyInstance): { opened(): number; closed(): number } {
  let opened = 0;
  let closed = 0;
  app.server.on('connection', (socket) => {
    opened++;
    socket.once('close', () => closed++);
  });
  return { opened: () => opened, closed: () => closed };
}

/** Polls `check` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
