/**
 * Exchange rates [001-6.3.2]: one rate per currency pair and day, from a rate source behind a
 * small interface — a finance connector's `fx.rates` (the sandbox bank's; a real bank's or
 * central bank's feed is one more connector folder and registry line) — or entered by hand. Once a day's rate is recorded it is the one every conversion
 * of that day uses, and each converted line stores the rate and day it was converted with.
 */
import { isFxRate, type FxRate } from '../../domain/settlement/index.js';
import { isCurrencyCode, WaygateError } from '../../domain/index.js';
import { connectorFor } from '../../connectors/catalogue.js';
import { createHttpClient } from '../../connectors/http.js';
import type { FinanceConnector } from '../../connectors/types.js';
import { LOOPBACK_ALLOWED } from '../../domain/network-policy.js';
import type { Store } from '../../store/db.js';
import { recordAudit } from '../../store/audit.js';
import { getFxRate, putFxRate } from '../../store/settlement.js';

export interface FxSource {
  readonly name: string;
  /** The rate `base` → `quote` for `day`, or undefined when the source has none. */
  rate(base: string, quote: string, day: string): Promise<string | undefined>;
}

/**
 * A finance partner's rate feed (`fx.rates` on the connector contract), e.g. the sandbox bank:
 * the question and its answer go through its connector like any partner call.
 */
export class ConnectorFxSource implements FxSource {
  readonly name: string;
  readonly #connector: FinanceConnector;
  constructor(connector: FinanceConnector) {
    if (!connector.fxRate) throw new Error(`${connector.manifest.id} does not serve FX rates (fx.rates)`);
    this.#connector = connector;
    this.name = connector.manifest.id;
  }
  async rate(base: string, quote: string, day: string): Promise<string | undefined> {
    const rate = await this.#connector.fxRate!(base, quote, day);
    return rate !== undefined && isFxRate(rate) ? rate : undefined;
  }
}

/**
 * The rate feed of a registered finance connector at `baseUrl` (the CLI's `--fx-url`, the demo's
 * sandbox): an operator's explicit choice, so a loopback address is allowed. Close it when done.
 */
export function fxSourceAt(
  baseUrl: string,
  opts: { connectorId?: string; apiKey?: string } = {},
): FxSource & { close(): Promise<void> } {
  const id = opts.connectorId ?? 'sandbox-bank';
  const def = connectorFor('finance', id);
  if (!def || def.kind !== 'finance') throw new Error(`no finance connector ${id} is registered`);
  const http = createHttpClient({ network: LOOPBACK_ALLOWED });
  const source = new ConnectorFxSource(
    def.create(
      {
        partnerId: id,
        baseUrl,
        // The sandbox bank takes any key; a real feed's comes from the environment, never argv.
        credentials: { apiKey: opts.apiKey ?? process.env.WAYGATE_FX_API_KEY ?? 'sandbox' },
      },
      http,
    ),
  );
  return Object.assign(source, { close: () => http.close() });
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The recorded rate of the day, fetched from `source` and recorded when there is none yet. */
export async function resolveRate(
  store: Store,
  base: string,
  quote: string,
  day: string,
  source?: FxSource,
  nowMs = Date.now(),
): Promise<FxRate | undefined> {
  if (base === quote) return { base, quote, rate: '1', day, source: 'identity' };
  const stored = await getFxRate(store.db, base, quote, day);
  if (stored) return { base, quote, rate: stored.rate, day, source: stored.source };
  if (!source) return undefined;
  const rate = await source.rate(base, quote, day);
  if (!rate) return undefined;
  await store.write((trx) =>
    putFxRate(trx, { base, quote, day, rate, source: source.name, recorded_at: nowMs }, false),
  );
  // Another node may have recorded the day's rate first: the stored one wins.
  const row = await getFxRate(store.db, base, quote, day);
  return row ? { base, quote, rate: row.rate, day, source: row.source } : undefined;
}

/** A rate entered by an operator (replaces the day's rate), audited. */
export async function enterRate(
  store: Store,
  rate: FxRate,
  actor: string,
  nowMs = Date.now(),
): Promise<void> {
  if (!isCurrencyCode(rate.base) || !isCurrencyCode(rate.quote) || rate.base === rate.quote)
    throw new WaygateError('fx_rate_invalid', 'base and quote must be two different ISO 4217 codes');
  if (!isFxRate(rate.rate))
    throw new WaygateError('fx_rate_invalid', 'the rate must be a decimal above 0 with at most 10 decimals');
  if (!DAY_RE.test(rate.day) || Number.isNaN(Date.parse(`${rate.day}T00:00:00Z`)))
    throw new WaygateError('fx_rate_invalid', 'the day must be YYYY-MM-DD');
  await store.write(async (trx) => {
    await putFxRate(trx, { ...rate, source: 'manual', recorded_at: nowMs }, true);
    await recordAudit(
      trx,
      {
        actor,
        action: 'settlement.fx.enter',
        target: `${rate.base}/${rate.quote}@${rate.day}`,
        detail: { rate: rate.rate },
        outcome: 'ok',
      },
      nowMs,
    );
  });
}
