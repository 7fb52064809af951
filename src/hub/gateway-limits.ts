/** The gateway's limits as the policy file sets them (`gateway:`), with the defaults filled in. */
import { DEFAULT_ADMISSION, type AdmissionLimits } from '../gateway/admission.js';
import type { AuthFailureLimits } from '../security/auth-failures.js';
import type { OrderSources } from '../gateway/types.js';
import type { HubConfig } from './config.js';

export function admissionLimitsOf(config: HubConfig): AdmissionLimits {
  const g = config.gateway;
  return {
    maxInFlight: g?.maxInFlight ?? DEFAULT_ADMISSION.maxInFlight,
    maxBacklog: g?.maxBacklog ?? DEFAULT_ADMISSION.maxBacklog,
  };
}

/** Only what the file sets; the gateway fills in the rest from AUTH_FAILURE_DEFAULTS. */
export function authFailureLimitsOf(config: HubConfig): Partial<AuthFailureLimits> {
  const f = config.gateway?.authFailures;
  return {
    ...(f?.maxPerAddress !== undefined ? { maxPerAddress: f.maxPerAddress } : {}),
    ...(f?.maxPerCredential !== undefined ? { maxPerCredential: f.maxPerCredential } : {}),
    ...(f?.windowSeconds !== undefined ? { windowMs: f.windowSeconds * 1000 } : {}),
    ...(f?.spikeThreshold !== undefined ? { spikeThreshold: f.spikeThreshold } : {}),
  };
}

/** Order sources: every platform partner and `orders.sources`; `orders.allowAdHocSources` lifts the check. */
export function orderSourcesOf(config: HubConfig): OrderSources {
  const platforms = Object.entries(config.partners)
    .filter(([, p]) => p.kind === 'platform')
    .map(([id]) => id);
  return {
    known: [...new Set([...platforms, ...(config.orders?.sources ?? [])])],
    allowAdHoc: config.orders?.allowAdHocSources === true,
  };
}
