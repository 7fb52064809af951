/**
 * Every connector the hub ships, registered explicitly (not discovered by globbing), so the
 * list of dialects the hub speaks is one reviewable file.
 */
import type { HttpClient } from './http.js';
import type { PartnerSigning } from '../security/certs/partner-signing.js';
import type { CarrierConnector, PartnerEndpoint, PlatformConnector } from './types.js';
import * as carrierAlpha from './carriers/carrier-alpha/index.js';
import * as carrierBeta from './carriers/carrier-beta/index.js';
import * as sandboxShop from './platforms/sandbox-shop/index.js';

/** `signing` is given to connectors whose partner signs messages with certificates [003-7.2]. */
type Factory<T> = (endpoint: PartnerEndpoint, http: HttpClient, opts?: { signing?: PartnerSigning }) => T;

export const CARRIER_CONNECTORS: Readonly<Record<string, Factory<CarrierConnector>>> = {
  'carrier-alpha': carrierAlpha.createConnector,
  'carrier-beta': carrierBeta.createConnector,
};

export const PLATFORM_CONNECTORS: Readonly<Record<string, Factory<PlatformConnector>>> = {
  'sandbox-shop': sandboxShop.createConnector,
};
