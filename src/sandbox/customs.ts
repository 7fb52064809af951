/**
 * The sandbox customs: China Customs' cross-border e-commerce system (CEB 2022-05) behind the
 * transfer client, as a declarant meets it. Written from the specification pack and its XSDs,
 * not from the hub's connector (it imports nothing of it).
 *
 * It speaks both ways the transfer client is used:
 * - folders: it watches `<root>/outbox/` (only whole files: a writer renames them in), takes each
 *   file into `<root>/sentbox/` (or `<root>/failbox/` with a `.reason.txt` when it is no transfer
 *   envelope), and writes receipts into `<root>/inbox/` atomically (a dot-file first, then a
 *   rename);
 * - HTTP, under `/ceb/transfer` with the client key in `X-Ceb-Client-Key`: `PUT /outbox/{name}`
 *   hands in a message, `GET /inbox/next` answers the oldest receipt not yet taken (its file
 *   name in `X-Ceb-File-Name`; 204 when none), `DELETE /inbox/{name}` takes it away.
 *
 * Each message is unwrapped from its envelope and validated against the official XSD; a message
 * that fails it is refused with a negative status naming the element and the rule. A valid one
 * is judged (customs-rules.ts): refused with 100 and a `[Code:…;Desc:…]` reason for a planted
 * fault, otherwise accepted (120). An accepted inventory list gets its numbers and is released
 * (800) `releaseDelayMs` later on the sandbox's clock. The same message (guid) handed in twice is
 * answered once.
 *
 * Fault knobs (`setFaults`, or `POST /__customs/faults`): id numbers whose identity check fails,
 * the release delay, withholding release altogether, the amount tolerance.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  CustomsReadError,
  DECLARED,
  isDeclaredType,
  openEnvelope,
  readDeclaration,
  sniff,
  type Declaration,
  type DeclaredType,
} from './customs-read.js';
import {
  receiptEnvelope,
  receiptMessage,
  receiptTypeOf,
  STATUS,
  type ListNumbers,
} from './customs-receipts.js';
import { createEportCa, type EportCa } from './customs-ca.js';
import { refusalOf } from './customs-rules.js';
import { CebPackMissing, packStatus, validateAll, type SchemaProblem } from './customs-xsd.js';
import type { SandboxPartner } from './types.js';

export const CUSTOMS_ID = 'china-ceb';
export const TRANSFER_PREFIX = '/ceb/transfer';
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export interface CustomsFaults {
  /** Buyer id numbers the identity check of an inventory list refuses. */
  failIdNumbers: string[];
  /** How long after acceptance an inventory list is released, on the sandbox's clock. */
  releaseDelayMs: number;
  /** Accepted lists are never released (customs holds them). */
  withholdRelease: boolean;
  /** Largest difference between two amounts customs lets pass (decimal string). */
  tolerance: string;
}

export interface CustomsOptions {
  /** The HTTP interface's client key (made fresh when not given). */
  clientKey?: string;
  /** The sandbox's clock, in epoch milliseconds (tests inject one). */
  now?: () => number;
  /** How often folders are scanned and due releases written; 0: only when `pump()` is called. */
  pollMs?: number;
  /** The XSD folder of the CEB pack (else found where the test setup finds it). */
  xsdDir?: string;
  faults?: Partial<CustomsFaults>;
}

export type DeclarationState = 'accepted' | 'refused' | 'invalid' | 'released';

export interface CustomsDeclaration {
  guid: string;
  type: string;
  orderNo: string;
  state: DeclarationState;
  code: string;
  info: string;
  numbers?: ListNumbers;
}

export type CustomsStats = {
  received: number;
  accepted: number;
  refused: number;
  /** Refused for failing the XSD (or not parsing at all). */
  invalid: number;
  released: number;
  pendingRelease: number;
  duplicates: number;
  /** Files or bodies that were no transfer envelope (failbox / HTTP 400). */
  unreadable: number;
  receiptsWritten: number;
  receiptsTaken: number;
  byType: Record<string, number>;
  xsdPack: { found: true; dir: string } | { found: false; reason: string };
};

export interface CustomsPartner extends SandboxPartner {
  readonly clientKey: string;
  faults(): CustomsFaults;
  setFaults(patch: Partial<CustomsFaults>): CustomsFaults;
  /** Serves a transfer client's folders at `root` (outbox/ in, inbox/ out). */
  watchFolder(root: string): void;
  /** One round: take what was handed in, judge it, write receipts and releases now due. */
  pump(): Promise<void>;
  /** What customs holds, per declaration received. */
  declarations(): CustomsDeclaration[];
  /** The e-port CA's certificate for a declarant's CSR (customs-ca.ts). */
  issueCertificate(csrPem: string): Promise<string>;
  stats(): CustomsStats;
}

type Destination = { kind: 'http' } | { kind: 'folder'; root: string };
interface Received {
  content: string;
  dest: Destination;
}
interface Opened extends Received {
  message: string;
  type: DeclaredType;
  /** The envelope's sender node: where receipts go when the message names none. */
  senderId: string;
}
interface Held extends CustomsDeclaration {
  declaration: Declaration;
  dest: Destination;
  /** What was received, to tell a re-delivery from a different message under the same guid. */
  content: string;
}

function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function describe(problems: readonly SchemaProblem[]): string {
  const first = problems[0];
  if (!first) return '报文校验未通过';
  const where = first.line !== null ? `（第 ${first.line} 行）` : '';
  const more = problems.length > 1 ? `；另有 ${problems.length - 1} 处` : '';
  return `[Code:-1;Desc:报文校验未通过：元素 ${first.element} 违反 ${first.rule} 规则${where}：${first.message}${more}]`;
}

export function createCustoms(opts: CustomsOptions = {}): CustomsPartner {
  const clientKey = opts.clientKey ?? randomUUID().replace(/-/g, '');
  const now = opts.now ?? Date.now;
  const faults: CustomsFaults = {
    failIdNumbers: [],
    releaseDelayMs: 3_000,
    withholdRelease: false,
    tolerance: '0.05',
    ...opts.faults,
  };
  const held = new Map<string, Held>();
  /** Orders received (valid), by direction and order number: what later documents are compared with. */
  const orders = new Map<string, Declaration>();
  const releases: Array<{ dueMs: number; guid: string }> = [];
  const pending: Received[] = [];
  const httpInbox = new Map<string, string>();
  const folders = new Set<string>();
  let sequence = 0;
  const counts = {
    received: 0,
    accepted: 0,
    refused: 0,
    invalid: 0,
    released: 0,
    duplicates: 0,
    unreadable: 0,
    receiptsWritten: 0,
    receiptsTaken: 0,
  };
  const byType: Record<string, number> = {};
  let chain: Promise<void> = Promise.resolve();
  let ca: Promise<EportCa> | undefined;
  let timer: NodeJS.Timeout | undefined;

  function deliver(dest: Destination, receiptType: string, receiverId: string, message: string): void {
    const { copMsgId, xml } = receiptEnvelope({
      message,
      msgType: `${receiptType}Message`,
      receiverId,
      atMs: now(),
    });
    const name = `${receiptType}_${copMsgId}.xml`;
    if (dest.kind === 'http') httpInbox.set(name, xml);
    else {
      const inbox = join(dest.root, 'inbox');
      mkdirSync(inbox, { recursive: true });
      const tmp = join(inbox, `.${name}.tmp`);
      writeFileSync(tmp, xml);
      renameSync(tmp, join(inbox, name));
    }
    counts.receiptsWritten++;
  }

  function answer(h: Held, status: string, info: string): void {
    const message = receiptMessage({
      declaration: h.declaration,
      status,
      info,
      atMs: now(),
      numbers: h.numbers,
    });
    deliver(h.dest, receiptTypeOf(h.declaration.type), h.declaration.dxpId, message);
  }

  function listNumbers(d: Declaration): ListNumbers {
    sequence++;
    const year = new Date(now() + 8 * 3600_000).getUTCFullYear();
    const office = (d.head.customsCode ?? d.head.portCode ?? '0000').padEnd(4, '0').slice(0, 4);
    const seq = String(sequence).padStart(9, '0');
    const flag = DECLARED[d.type].direction === 'import' ? 'I' : 'E';
    return {
      preNo: `B${year}${String(sequence).padStart(13, '0')}`,
      invtNo: `${office}${year}${flag}${seq}`,
    };
  }

  function judge(item: Opened, problems: SchemaProblem[]) {
    const { message, dest } = item;
    let declaration: Declaration;
    try {
      declaration = readDeclaration(message);
    } catch {
      const s = sniff(message);
      declaration = { type: item.type, guid: s.guid ?? '', head: {}, lines: [], dxpId: '' };
    }
    if (!declaration.dxpId) declaration.dxpId = item.senderId;
    const known = held.get(declaration.guid);
    if (known && known.content === message) {
      counts.duplicates++;
      return;
    }
    counts.received++;
    byType[declaration.type] = (byType[declaration.type] ?? 0) + 1;
    const direction = DECLARED[declaration.type].direction;
    const h: Held = {
      guid: declaration.guid,
      type: declaration.type,
      orderNo: declaration.head.orderNo ?? '',
      state: 'accepted',
      code: STATUS.accepted,
      info: '',
      declaration,
      dest,
      content: message,
    };
    held.set(h.guid, h);
    if (problems.length > 0) {
      counts.invalid++;
      Object.assign(h, { state: 'invalid', code: STATUS.unprocessable, info: describe(problems) });
      answer(h, h.code, h.info);
      return;
    }
    const refusal = refusalOf(declaration, {
      failIdNumbers: new Set(faults.failIdNumbers),
      tolerance: faults.tolerance,
      order: orders.get(`${direction}|${h.orderNo}`),
    });
    if (refusal) {
      counts.refused++;
      Object.assign(h, {
        state: 'refused',
        code: STATUS.refused,
        info: `[Code:${refusal.code};Desc:${refusal.reason}]`,
      });
      answer(h, h.code, h.info);
      return;
    }
    if (DECLARED[declaration.type].doc === 'order') orders.set(`${direction}|${h.orderNo}`, declaration);
    if (DECLARED[declaration.type].doc === 'inventory') {
      h.numbers = listNumbers(declaration);
      if (!faults.withholdRelease) releases.push({ dueMs: now() + faults.releaseDelayMs, guid: h.guid });
    }
    counts.accepted++;
    h.info = `新增申报成功[${h.guid}]`;
    answer(h, STATUS.accepted, h.info);
  }

  function takeFolder(root: string): void {
    const outbox = join(root, 'outbox');
    if (!existsSync(outbox)) return;
    const names = readdirSync(outbox, { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
    for (const dir of ['sentbox', 'failbox']) mkdirSync(join(root, dir), { recursive: true });
    for (const name of names) {
      const path = join(outbox, name);
      let content: string;
      try {
        content = readFileSync(path, 'utf8');
      } catch {
        continue; // taken away meanwhile
      }
      try {
        openEnvelope(content);
      } catch (err) {
        if (!(err instanceof CustomsReadError)) throw err;
        counts.unreadable++;
        renameSync(path, join(root, 'failbox', name));
        writeFileSync(join(root, 'failbox', `${name}.reason.txt`), `${err.message}\n`);
        continue;
      }
      renameSync(path, join(root, 'sentbox', name));
      pending.push({ content, dest: { kind: 'folder', root } });
    }
  }

  async function round(): Promise<void> {
    const pack = packStatus(opts.xsdDir);
    // Without the XSDs nothing can be judged: files stay in the outbox, HTTP refuses (503).
    if (!pack.found) return;
    for (const root of folders) takeFolder(root);
    const batch = pending.splice(0);
    const items: Opened[] = [];
    for (const r of batch) {
      const { message, senderId } = openEnvelope(r.content);
      const { type, guid } = sniff(message);
      // Not a declaration this customs takes, or no guid to answer to: nobody can be told.
      if (!type || !isDeclaredType(type) || !guid) {
        counts.unreadable++;
        continue;
      }
      items.push({ ...r, message, type, senderId });
    }
    const byDirection = (['import', 'export'] as const).map((schema) =>
      items.filter((i) => DECLARED[i.type].direction === schema),
    );
    let verdicts: Array<Awaited<ReturnType<typeof validateAll>>>;
    try {
      verdicts = [
        await validateAll(
          'import',
          byDirection[0]!.map((i) => i.message),
          opts.xsdDir,
        ),
        await validateAll(
          'export',
          byDirection[1]!.map((i) => i.message),
          opts.xsdDir,
        ),
      ];
    } catch (err) {
      pending.unshift(...items); // judged next round, not lost
      throw err;
    }
    byDirection.forEach((mine, d) => mine.forEach((item, i) => judge(item, verdicts[d]![i]!.problems)));
    const t = now();
    for (let i = releases.length - 1; i >= 0; i--) {
      const r = releases[i]!;
      if (r.dueMs > t) continue;
      releases.splice(i, 1);
      const h = held.get(r.guid);
      if (!h || h.state !== 'accepted') continue;
      h.state = 'released';
      h.code = STATUS.released;
      h.info = `放行[${h.numbers?.invtNo ?? h.guid}]`;
      counts.released++;
      answer(h, STATUS.released, h.info);
    }
  }

  const pump = (): Promise<void> => {
    chain = chain.then(round, round);
    return chain;
  };
  if ((opts.pollMs ?? 250) > 0) {
    timer = setInterval(() => void pump().catch(() => undefined), opts.pollMs ?? 250);
    timer.unref();
  }

  function register(app: FastifyInstance): void {
    void app.register(
      async (scope) => {
        scope.addContentTypeParser(
          ['application/xml', 'text/xml', 'application/octet-stream'],
          { parseAs: 'string' },
          (_req, body, done) => done(null, body),
        );
        scope.addHook('onRequest', async (req, reply) => {
          const key = req.headers['x-ceb-client-key'];
          if (typeof key !== 'string' || !sameKey(key, clientKey))
            return reply.code(401).send({ error: 'X-Ceb-Client-Key is missing or wrong' });
        });
        scope.put<{ Params: { name: string } }>('/outbox/:name', async (req, reply) => {
          if (!SAFE_NAME.test(req.params.name))
            return reply
              .code(400)
              .send({ error: 'the file name must be letters, digits, dot, dash, underscore' });
          const pack = packStatus(opts.xsdDir);
          if (!pack.found) return reply.code(503).send({ error: pack.reason });
          const body = typeof req.body === 'string' ? req.body : '';
          try {
            const env = openEnvelope(body);
            pending.push({ content: body, dest: { kind: 'http' } });
            void pump().catch(() => undefined);
            return reply.code(200).send({ received: req.params.name, copMsgId: env.copMsgId });
          } catch (err) {
            if (!(err instanceof CustomsReadError)) throw err;
            counts.unreadable++;
            return reply.code(400).send({ error: err.message });
          }
        });
        scope.get('/inbox/next', async (_req, reply) => {
          const first = httpInbox.entries().next();
          if (first.done) return reply.code(204).send();
          const [name, xml] = first.value;
          return reply
            .code(200)
            .header('x-ceb-file-name', name)
            .type('application/xml; charset=utf-8')
            .send(xml);
        });
        scope.delete<{ Params: { name: string } }>('/inbox/:name', async (req, reply) => {
          if (!httpInbox.delete(req.params.name))
            return reply.code(404).send({ error: `no receipt ${req.params.name} waiting` });
          counts.receiptsTaken++;
          return reply.code(204).send();
        });
      },
      { prefix: TRANSFER_PREFIX },
    );
    app.get('/__customs', async () => ({ faults: { ...faults }, declarations: view() }));
    app.post<{ Body: Partial<CustomsFaults> | undefined }>('/__customs/faults', async (req, reply) => {
      try {
        return { faults: setFaults(req.body ?? {}) };
      } catch (err) {
        return reply.code(400).send({ error: (err as Error).message });
      }
    });
  }

  function setFaults(patch: Partial<CustomsFaults>): CustomsFaults {
    const p = patch as Record<string, unknown>;
    for (const k of Object.keys(p)) if (!(k in faults)) throw new RangeError(`unknown customs fault ${k}`);
    if (p.failIdNumbers !== undefined) {
      if (!Array.isArray(p.failIdNumbers) || !p.failIdNumbers.every((v) => typeof v === 'string'))
        throw new RangeError('failIdNumbers must be a list of id numbers');
      faults.failIdNumbers = [...(p.failIdNumbers as string[])];
    }
    if (p.releaseDelayMs !== undefined) {
      const ms = p.releaseDelayMs;
      if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > 86_400_000)
        throw new RangeError('releaseDelayMs must be an integer between 0 and 86400000');
      faults.releaseDelayMs = ms;
    }
    if (p.withholdRelease !== undefined) {
      if (typeof p.withholdRelease !== 'boolean')
        throw new RangeError('withholdRelease must be true or false');
      faults.withholdRelease = p.withholdRelease;
    }
    if (p.tolerance !== undefined) {
      if (typeof p.tolerance !== 'string' || !/^\d+(\.\d{1,5})?$/.test(p.tolerance))
        throw new RangeError('tolerance must be a decimal string such as "0.05"');
      faults.tolerance = p.tolerance;
    }
    return { ...faults, failIdNumbers: [...faults.failIdNumbers] };
  }

  function view(): CustomsDeclaration[] {
    return [...held.values()].map(({ guid, type, orderNo, state, code, info, numbers }) => ({
      guid,
      type,
      orderNo,
      state,
      code,
      info,
      ...(numbers ? { numbers } : {}),
    }));
  }

  return {
    id: CUSTOMS_ID,
    clientKey,
    register,
    faults: () => ({ ...faults, failIdNumbers: [...faults.failIdNumbers] }),
    setFaults,
    watchFolder(root) {
      for (const dir of ['outbox', 'inbox']) mkdirSync(join(root, dir), { recursive: true });
      folders.add(root);
    },
    pump,
    declarations: view,
    async issueCertificate(csrPem) {
      ca ??= createEportCa();
      return (await ca).issue(csrPem);
    },
    stats: () => ({
      ...counts,
      pendingRelease: releases.length,
      byType: { ...byType },
      xsdPack: packStatus(opts.xsdDir),
    }),
    async close() {
      if (timer) clearInterval(timer);
      await chain.catch(() => undefined);
    },
  };
}

export { CebPackMissing };
