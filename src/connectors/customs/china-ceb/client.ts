/**
 * The two ways messages reach customs, behind one shape: the transfer client's folders (what
 * declarants run on site: outbox/ and inbox/, see transfer-folders.ts) and its HTTP interface
 * (the same exchange over HTTP: a message is PUT under its file name, receipts are read one at a
 * time and deleted once applied). Infrastructure failures are retryable PartnerCallErrors; a
 * refusal of the request itself is not. The client key never appears in an error.
 */
import { join } from 'node:path';
import { errorForStatus, PartnerCallError } from '../../errors.js';
import { retryAfterMs, type HttpClient } from '../../http.js';
import type { PartnerEndpoint, ReceiptFile } from '../../types.js';
import { TransferFolders, type ClaimedFile } from './transfer-folders.js';

export interface CebTransport {
  send(name: string, content: string): Promise<void>;
  next(): Promise<ReceiptFile | undefined>;
  acknowledge(file: ReceiptFile): Promise<void>;
}

export const TRANSFER_PREFIX = '/ceb/transfer';
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export function folderTransport(root: string): CebTransport {
  const folders = new TransferFolders(root);
  const claimed = new Map<string, ClaimedFile>();
  return {
    send: (name, content) => Promise.resolve(folders.send(name, content)),
    next() {
      const file = folders.claimNext();
      if (file) claimed.set(file.name, file);
      return Promise.resolve(file ? { name: file.name, content: file.content } : undefined);
    },
    acknowledge(file) {
      const held = claimed.get(file.name) ?? {
        ...file,
        path: join(folders.inbox, '.claimed', file.name),
      };
      folders.done(held);
      claimed.delete(file.name);
      return Promise.resolve();
    },
  };
}

export function httpTransport(endpoint: PartnerEndpoint, http: HttpClient, clientKey: string): CebTransport {
  const partnerId = endpoint.partnerId;
  const base = `${endpoint.baseUrl.replace(/\/+$/, '')}${TRANSFER_PREFIX}`;
  const call = async (method: 'GET' | 'PUT' | 'DELETE', path: string, body?: string) => {
    const res = await http.send({
      partnerId,
      method,
      url: `${base}${path}`,
      headers: {
        'x-ceb-client-key': clientKey,
        ...(body !== undefined ? { 'content-type': 'application/xml; charset=utf-8' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
      ...(endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {}),
    });
    if (res.status >= 200 && res.status < 300) return res;
    const wait = retryAfterMs(res.headers);
    throw errorForStatus(
      partnerId,
      res.status,
      res.body.slice(0, 200),
      wait !== undefined ? { retryAfterMs: wait } : {},
    );
  };
  const checkName = (name: string) => {
    if (!SAFE_NAME.test(name))
      throw new PartnerCallError({
        partnerId,
        code: 'partner_bad_response',
        retryable: false,
        message: `${partnerId} named a receipt with an unsafe file name`,
      });
    return name;
  };
  return {
    async send(name, content) {
      if (!SAFE_NAME.test(name)) throw new Error(`unsafe message file name ${name}`);
      await call('PUT', `/outbox/${encodeURIComponent(name)}`, content);
    },
    async next() {
      const res = await call('GET', '/inbox/next');
      if (res.status === 204) return undefined;
      const name = res.headers['x-ceb-file-name'];
      if (!name)
        throw new PartnerCallError({
          partnerId,
          code: 'partner_bad_response',
          retryable: false,
          status: res.status,
          message: `${partnerId} sent a receipt without its file name`,
        });
      return { name: checkName(name), content: res.body };
    },
    async acknowledge(file) {
      await call('DELETE', `/inbox/${encodeURIComponent(checkName(file.name))}`);
    },
  };
}
