/** The sandbox partner config: config/sandbox.yaml filled with a running sandbox's URL and test keys. */
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { SandboxCredentials } from '../sandbox/credentials.js';
import { loadHubConfig, type HubConfig } from './config.js';

export const SANDBOX_CONFIG_FILE = fileURLToPath(new URL('../../config/sandbox.yaml', import.meta.url));

export function sandboxEnv(url: string, c: SandboxCredentials): Record<string, string> {
  return {
    SANDBOX_URL: url,
    SANDBOX_SHOP_WEBHOOK_SECRET: c['sandbox-shop'].webhookSecret,
    SANDBOX_SHOP_ADMIN_TOKEN: c['sandbox-shop'].adminToken,
    SANDBOX_ALPHA_API_TOKEN: c['carrier-alpha'].apiToken,
    SANDBOX_ALPHA_WEBHOOK_SECRET: c['carrier-alpha'].webhookSecret,
    SANDBOX_BETA_APP_KEY: c['carrier-beta'].appKey,
    SANDBOX_BETA_APP_SECRET: c['carrier-beta'].appSecret,
  };
}

export function sandboxHubConfig(
  url: string,
  credentials: SandboxCredentials,
  file = SANDBOX_CONFIG_FILE,
): HubConfig {
  return loadHubConfig(file, { ...process.env, ...sandboxEnv(url, credentials) });
}

/** Reads the test credentials of a sandbox already running at `url` (served on loopback only). */
export async function fetchSandboxCredentials(url: string): Promise<SandboxCredentials> {
  const res = await request(`${url.replace(/\/$/, '')}/__credentials`, { method: 'GET' });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`sandbox at ${url} did not hand out credentials (${res.statusCode})`);
  }
  return (await res.body.json()) as SandboxCredentials;
}
