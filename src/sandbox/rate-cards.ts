/**
 * The carriers' tariffs the sandbox bills by: the same YAML files the hub is configured with
 * (config/rate-cards), as a real carrier and its customer share one signed tariff.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRateCardText, type CarrierRateCard } from '../domain/settlement/index.js';

/** src/sandbox and dist/sandbox both sit two levels under the package root. */
export const SANDBOX_RATE_CARD_DIR = fileURLToPath(new URL('../../config/rate-cards', import.meta.url));

export function loadSandboxRateCards(dir = SANDBOX_RATE_CARD_DIR): CarrierRateCard[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/i.test(f));
  } catch {
    return [];
  }
  return files
    .map((f) => parseRateCardText(readFileSync(join(dir, f), 'utf8'), join(dir, f)))
    .filter((c): c is CarrierRateCard => c.kind === 'carrier');
}
