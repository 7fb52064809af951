import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildGateway } from '../../src/gateway/app.js';
import { signedHeaders } from '../../src/gateway/signature.js';
import { secretBoxFromKey } from '../../src/security/secret-box.js';
import { createApiKey, type ApiKeySpec, type CreatedKey } from '../../src/store/api-keys.js';
import { PERMISSIONS } from '../../src/security/permissions.js';
import type { GatewayDeps } from '../../src/gateway/types.js';
import type { CarrierConnector, PlatformConnector } from '../../src/connectors/types.js';
import type { TestStore } from './stores.js';

/** An internal system's key holding every scope: what the pre-RBAC suites assume. */
export const ALL_SCOPES: ApiKeySpec = { name: 'test', scopes: PERMISSIONS };

export interface GatewayFixture {
  app: FastifyInstance;
  key: CreatedKey;
  /** Another key with the given grant, signed by the same master key. */
  keyWith(spec: Partial<ApiKeySpec>): Promise<CreatedKey>;
  /** A call signed with `key` instead of the fixture's own key. */
  callAs(
    key: CreatedKey,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    extra?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    extra?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
}

/** A request to `app` signed with `key`, as an API caller sends it (a string body goes as is). */
export function injectSigned(
  app: FastifyInstance,
  key: CreatedKey,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  extra: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
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
}

export async function gatewayFor(
  store: TestStore,
  partners: { carriers?: Map<string, CarrierConnector>; platforms?: Map<string, PlatformConnector> } = {},
  extraDeps: Partial<GatewayDeps> = {},
): Promise<GatewayFixture> {
  const box = secretBoxFromKey(randomBytes(32));
  const key = await createApiKey(store.db, box, ALL_SCOPES);
  const app = await buildGateway({
    store,
    box,
    carriers: partners.carriers ?? new Map(),
    platforms: partners.platforms ?? new Map(),
    notifyWork: () => undefined,
    isReady: async () => true,
    logger: false,
    ...extraDeps,
  });
  const callAs: GatewayFixture['callAs'] = (as, method, path, body, extra) =>
    injectSigned(app, as, method, path, body, extra);
  return {
    app,
    key,
    keyWith: (spec) => createApiKey(store.db, box, { ...ALL_SCOPES, ...spec }),
    callAs,
    call: (method, path, body, extra) => callAs(key, method, path, body, extra),
  };
}
