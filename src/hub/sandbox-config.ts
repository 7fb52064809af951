/** The sandbox partner config: config/sandbox.yaml filled with a running sandbox's URL and test keys. */
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { SandboxCredentials } from '../sandbox/credentials.js';
import { loadHubConfig, type HubConfig } from './config.js';

export const SANDBOX_CONFIG_FILE = fileURLToPath(new URL('../../config/sandbox.yaml', import.meta.url));

/**
 * The environment variable config/sandbox.yaml reads a sandbox credential from:
 * `<PARTNER>_<FIELD>` in upper snake case (`carrier-alpha`'s `apiToken` → CARRIER_ALPHA_API_TOKEN).
 */
export function credentialEnvName(partnerId: string, field: string): string {
  const snake = (s: string) =>
    s
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/-/g, '_')
      .toUpperCase();
  return `${snake(partnerId)}_${snake(field)}`;
}

/** SANDBOX_URL and every credential the sandbox issued, under the names credentialEnvName gives. */
export function sandboxEnv(url: string, c: SandboxCredentials): Record<string, string> {
  const env: Record<string, string> = { SANDBOX_URL: url };
  for (const [partnerId, fields] of Object.entries(c)) {
    for (const [field, value] of Object.entries(fields as Record<string, string>)) {
      env[credentialEnvName(partnerId, field)] = value;
    }
  }
  return env;
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
