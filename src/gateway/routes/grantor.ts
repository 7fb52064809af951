/** The caller of a grant route as a grantor (see security/grants.ts). */
import type { FastifyRequest } from 'fastify';
import { WaygateError } from '../../domain/index.js';
import { grantorOf, type Grantor } from '../../security/grants.js';
import { findKeyLimits } from '../../store/api-keys.js';
import type { Executor } from '../../store/transaction.js';

/**
 * A key caller's limits are read from its stored key (they are not on the caller), inside the
 * grant's own transaction when `ex` is one, so a key revoked meanwhile grants nothing.
 */
export async function requestGrantor(req: FastifyRequest, ex: Executor, actor: string): Promise<Grantor> {
  const caller = req.caller;
  if (!caller) throw new WaygateError('auth_missing', 'sign the request or send a session token');
  if (caller.kind === 'user') return grantorOf(caller, actor);
  return grantorOf(caller, actor, await findKeyLimits(ex, caller.id));
}
