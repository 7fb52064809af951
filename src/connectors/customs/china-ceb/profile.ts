/**
 * The companies and codes a declaration names, from configuration: `customs.defaults` merged
 * with `customs.sources.<source>` (a source's own values win, company by company). With no
 * configuration at all (`waygate customs render` without --config, the demo) the documented
 * sandbox profile below is used: registration codes that no real company holds.
 */
import type { CustomsProfile } from '../../../domain/index.js';

export const SANDBOX_PROFILE: Required<Omit<CustomsProfile, 'owner'>> = {
  platform: { code: 'SANDBOXEBP1', name: '沙箱跨境电商平台' },
  enterprise: { code: 'SANDBOXEBC1', name: '沙箱跨境电商企业' },
  logistics: { code: 'SANDBOXLOG1', name: '沙箱国际物流有限公司' },
  payment: { code: 'SANDBOXPAY1', name: '沙箱支付有限公司' },
  declarant: { code: 'SANDBOXAGT1', name: '沙箱报关有限公司' },
  assureCode: 'SANDBOXEBC1',
  customsOffice: '5141',
  port: '5141',
  tradeMode: '9610',
  transportMode: '5',
  destinationPort: '502',
  packaging: '2',
  sender: { code: 'SANDBOXEBC1', name: '沙箱跨境电商企业', dxpId: 'DXPENT0000000001' },
};

export function mergeProfiles(...layers: ReadonlyArray<CustomsProfile | undefined>): CustomsProfile {
  const out: CustomsProfile = {};
  for (const layer of layers) if (layer) Object.assign(out, layer);
  return out;
}
