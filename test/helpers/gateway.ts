import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildGateway } from '../../src/gateway/app.js';
import { signedHeaders } from '../../src/gateway/signature.js';
import { secretBoxFromKey } from '../../src/security/secret-box.js';
import { createApiKey, type CreatedKey } from '../../src/store/api-keys.js';
import type { CarrierConnector, PlatformConnector } from '../../src/connectors/types.js';
import type { TestStore } from './stores.js';

export interface GatewayFixture {
  app: FastifyInstance;
  key: CreatedKey;
  call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    extra?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
}

export async function gatewayFor(
  store: TestStore,
  partners: { carriers?: Map<string, CarrierConnector>; platforms?: Map<string, PlatformConnector> } = {},
): Promise<GatewayFixture> {
  const box = secretBoxFromKey(randomBytes(32));
  const key = await createApiKey(store.db, box, 'test');
  const app = await buildGateway({
    store,
    box,
    carriers: partners.carriers ?? new Map(),
    platforms: partners.platforms ?? new Map(),
    notifyWork: () => undefined,
    isReady: async () => true,
    logger: false,
  });
  return {
    app,
    key,
    call(method, path, body, extra = {}) {
      const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      return app.inject({
        method,
        url: path,
        payload: payload || undefined,
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...signedHeaders(key, method, path, payload),
          ...extra,
        },
      });
    },
  };
}
