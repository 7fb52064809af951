import { financeManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';

/** What the bank's rate feed needs from the config: checked when the hub loads or reloads it. */
export const settings = defineSettings({
  credentials: {
    apiKey: Secret('API key of the rate feed, sent as a bearer token (the sandbox accepts any)'),
  },
});

export const manifest = financeManifest({
  id: 'sandbox-bank',
  name: 'Sandbox Bank FX rates',
  kind: 'finance',
  dialect: 'rest-json',
  auth: 'bearer',
  defaultTier: 'B',
  capabilities: ['fx.rates'],
  settings,
});
