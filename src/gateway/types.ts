import 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact request body as received: signatures are computed over these bytes. */
    rawBody?: string;
    caller?: { kind: 'api_key' | 'partner'; id: string };
    /** Counted against the admission limit (see admission.ts). */
    admitted?: boolean;
  }
  interface FastifyContextConfig {
    /** `partner`: the route verifies the partner's own signature scheme instead of an API key. */
    auth?: 'api_key' | 'partner' | 'none';
  }
}
