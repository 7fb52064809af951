import type { HttpClient } from '../../http.js';
import type { CarrierConnector, PartnerEndpoint } from '../../types.js';
import { createAlphaClient } from './client.js';

export { manifest } from './manifest.js';

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): CarrierConnector {
  return createAlphaClient(endpoint, http);
}
