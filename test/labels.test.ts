/**
 * Carrier labels, on each store dialect, through the real-dialect sandbox carriers: a label is
 * stored sealed when the waybill is created (UPS returns it with the shipment, 4PX and YunExpress
 * serve it on request), its format told by its bytes, and served at
 * `GET /v1/shipments/{waybillNo}/label` to a caller with pii:read — 404 for an unknown waybill,
 * 404 `label_not_found` for a carrier that issues none (Cainiao here), 403 without pii:read.
 * The check of what a label is refuses, as a class, anything whose bytes are not a label.
 */
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSellerCatalogue } from '../src/cli/demo-platforms.js';
import { REAL_PARTNERS_CONFIG } from '../src/cli/demo.js';
import { PERMISSIONS } from '../src/domain/permissions.js';
import { signedHeaders } from '../src/gateway/signature.js';
import { startHub, type Hub } from '../src/hub/hub.js';
import { createLogger } from '../src/hub/logger.js';
import { sandboxHubConfig } from '../src/hub/sandbox-config.js';
import { checkLabel, MAX_LABEL_BYTES } from '../src/pipeline/labels.js';
import { startSandbox, type SandboxHandle } from '../src/sandbox/server.js';
import { createApiKey, type CreatedKey } from '../src/store/api-keys.js';
import type { PlatformFlowTables } from '../src/store/platform-flow.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';
import { waitFor } from './helpers/harness.js';

const MAGIC: Record<string, Buffer> = {
  PDF: Buffer.from('%PDF-'),
  PNG: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  ZPL: Buffer.from('^XA'),
};

describe('what a label is', () => {
  it('is told by its bytes, whatever the carrier says', () => {
    expect(
      checkLabel({ format: 'PNG', data: Buffer.concat([MAGIC.PDF!, Buffer.from('1.7 …')]) }),
    ).toMatchObject({
      format: 'PDF',
    });
    expect(
      checkLabel({ format: 'PDF', data: Buffer.from('<html><body>502 Bad Gateway</body></html>') }),
    ).toEqual({
      refused: 'the label is neither PDF, PNG nor ZPL by its first bytes',
    });
    expect(checkLabel({ format: 'PDF', data: Buffer.alloc(0) })).toEqual({ refused: 'the label is empty' });
    const huge = Buffer.concat([MAGIC.PDF!, Buffer.alloc(MAX_LABEL_BYTES)]);
    expect(checkLabel({ format: 'PDF', data: huge })).toMatchObject({
      refused: expect.stringMatching(/above/),
    });
  });

  it('refuses any bytes that do not start as a PDF, PNG or ZPL label', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (bytes) => {
        const data = Buffer.from(bytes);
        const text = data.subarray(0, 256).toString('latin1');
        fc.pre(!data.subarray(0, 5).equals(MAGIC.PDF!) && !data.subarray(0, 8).equals(MAGIC.PNG!));
        fc.pre(!/^\s*(~[A-Z]{2}[^^]*)?\^XA/.test(text));
        expect(checkLabel({ format: 'PDF', data })).toHaveProperty('refused');
      }),
      { numRuns: 300 },
    );
  });
});

for (const dialect of DIALECTS) {
  describe(`labels on ${dialect}`, () => {
    let sandbox: SandboxHandle;
    let hub: Hub;
    let drop: () => Promise<void>;
    let admin: CreatedKey;
    let noPii: CreatedKey;
    let shipments: Array<{ id: string; carrier: string; waybill_no: string }>;

    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0, stepMs: 60_000 });
      const db = await createTestDbUrl(dialect);
      drop = db.drop;
      hub = await startHub({
        dbUrl: db.url,
        port: 0,
        config: sandboxHubConfig(sandbox.url, sandbox.credentials, REAL_PARTNERS_CONFIG),
        logger: createLogger('silent'),
      });
      admin = await createApiKey(hub.store.db, hub.box, { name: 'labels', scopes: PERMISSIONS });
      noPii = await createApiKey(hub.store.db, hub.box, {
        name: 'no-pii',
        scopes: PERMISSIONS.filter((p) => p !== 'pii:read'),
      });
      await loadSellerCatalogue(hub.store);
      const n = 24;
      sandbox.shopify.push(n);
      await waitFor(
        async () => (await hub.store.db.selectFrom('shipments').select('id').execute()).length >= n,
        60_000,
        'the waybills',
      );
      shipments = await hub.store.db
        .selectFrom('shipments')
        .select(['id', 'carrier', 'waybill_no'])
        .execute();
    }, 90_000);
    afterAll(async () => {
      await hub?.close();
      await sandbox?.close();
      await drop?.();
    });

    const get = async (key: CreatedKey, waybillNo: string) => {
      const path = `/v1/shipments/${encodeURIComponent(waybillNo)}/label`;
      const res = await request(`${hub.url}${path}`, {
        method: 'GET',
        headers: signedHeaders(key, 'GET', path),
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers, body };
    };

    it('stores the label sealed with the waybill of every carrier that issues one', async () => {
      const rows = await hub.store.db
        .withTables<PlatformFlowTables>()
        .selectFrom('shipments')
        .leftJoin('shipment_labels', 'shipment_labels.shipment_id', 'shipments.id')
        .select(['shipments.carrier', 'shipment_labels.format', 'shipment_labels.data_sealed'])
        .execute();
      for (const r of rows) {
        if (r.carrier === 'cainiao') expect(r.format).toBeNull();
        else {
          expect(['PDF', 'PNG', 'ZPL'], r.carrier).toContain(r.format);
          // Sealed: neither the bytes nor their base64 are readable at rest.
          for (const magic of Object.values(MAGIC)) {
            expect(r.data_sealed).not.toContain(magic.toString('base64').slice(0, 6));
            expect(r.data_sealed).not.toContain(magic.toString('latin1'));
          }
        }
      }
      expect(rows.filter((r) => r.format !== null).length).toBeGreaterThan(0);
    });

    it('serves each stored label in its own format to a caller with pii:read, never cached', async () => {
      for (const s of shipments.filter((x) => x.carrier !== 'cainiao')) {
        const res = await get(admin, s.waybill_no);
        expect(res.status, s.carrier).toBe(200);
        const format = Object.entries(MAGIC).find(([, m]) =>
          m.toString('latin1') === '^XA'
            ? /\^XA/.test(res.body.subarray(0, 64).toString('latin1'))
            : res.body.subarray(0, m.length).equals(m),
        )?.[0];
        expect(format, s.carrier).toBeDefined();
        expect(res.headers['content-type']).toBe(
          { PDF: 'application/pdf', PNG: 'image/png', ZPL: 'application/x-zpl' }[format!],
        );
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });

    it('answers 404 for an unknown waybill and label_not_found for a carrier that issues none', async () => {
      const unknown = await get(admin, 'NO-SUCH-WAYBILL-1');
      expect(unknown.status).toBe(404);
      expect(JSON.parse(unknown.body.toString())).toMatchObject({ error: { code: 'shipment_not_found' } });
      const cainiao = shipments.find((s) => s.carrier === 'cainiao');
      if (cainiao) {
        const none = await get(admin, cainiao.waybill_no);
        expect(none.status).toBe(404);
        expect(JSON.parse(none.body.toString())).toMatchObject({ error: { code: 'label_not_found' } });
      }
    });

    it('refuses a caller without pii:read (a label prints the consignee)', async () => {
      const s = shipments.find((x) => x.carrier !== 'cainiao')!;
      const res = await get(noPii, s.waybill_no);
      expect(res.status).toBe(403);
    });
  });
}
