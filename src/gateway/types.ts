import 'fastify';
import type { Caller, Permission } from '../security/permissions.js';
import type { NonceClaim } from './auth.js';
import type { AdmissionView } from './admission.js';
import type { AuthAttempt } from '../security/auth-failures.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact request body as received: signatures are computed over these bytes. */
    rawBody?: string;
    /** Who is calling, resolved by the auth hook before validation. */
    caller?: Caller;
    /** Who attempted to authenticate, for the failed-authentication throttle (see auth-throttle.ts). */
    authAttempt?: AuthAttempt;
    /** A failed or throttled authentication: audited in an aggregated `auth.failed` row, not per call. */
    authAggregated?: boolean;
    /** The nonce a `nonceInWrite` route must claim in its own transaction. */
    nonceClaim?: NonceClaim;
    /** The error code answered, for the call audit. */
    errorCode?: string;
  }
  interface FastifyInstance {
    /** Admission figures, for readiness and tests. */
    admission: AdmissionView;
  }
  interface FastifyContextConfig {
    /**
     * `api_key`: an API key + HMAC or a user session (Bearer) is required; `partner`: the route
     * verifies the partner's own signature scheme; `none`: public (health, login).
     */
    auth?: 'api_key' | 'partner' | 'none';
    /** The permission a caller needs for this route; `/v1` routes without one are refused. */
    permission?: Permission;
    /** The route claims the request's nonce inside its own write (see auth.ts nonceClaimFor). */
    nonceInWrite?: boolean;
  }
}
