/** The gateway's limits as the policy file sets them (`gateway:`), with the defaults filled in. */
import { DEFAULT_ADMISSION, type AdmissionLimits } from '../gateway/admission.js';
import type { HubConfig } from './config.js';

export function admissionLimitsOf(config: HubConfig): AdmissionLimits {
  const g = config.gateway;
  return {
    maxInFlight: g?.maxInFlight ?? DEFAULT_ADMISSION.maxInFlight,
    maxBacklog: g?.maxBacklog ?? DEFAULT_ADMISSION.maxBacklog,
  };
}
