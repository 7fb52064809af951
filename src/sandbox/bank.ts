/**
 * The sandbox bank [001-6.3.2]: daily FX rates at `GET /bank/v1/rates?base=USD&quote=CNY&date=
 * YYYY-MM-DD`, as a bank's rate feed would serve them. Rates are reference values per currency
 * against USD with a small deterministic move per day (so two days differ, and the hub must
 * record which day's rate it used); cross rates are computed exactly and given to 6 decimals.
 */
import type { FastifyInstance } from 'fastify';

/** Units of the currency one USD buys, in millionths. */
const PER_USD: Record<string, bigint> = {
  USD: 1_000_000n,
  CNY: 7_120_000n,
  EUR: 921_000n,
  GBP: 789_000n,
  JPY: 151_300_000n,
  HKD: 7_810_000n,
  CAD: 1_365_000n,
  AUD: 1_512_000n,
  SGD: 1_342_000n,
  KRW: 1_338_000_000n,
  BRL: 5_020_000n,
  MXN: 17_050_000n,
  SEK: 10_480_000n,
  PLN: 3_960_000n,
};

export const BANK_CURRENCIES = Object.keys(PER_USD);

function perUsdOn(currency: string, day: string): bigint | undefined {
  const base = PER_USD[currency];
  if (base === undefined) return undefined;
  if (currency === 'USD') return base;
  // ±0.3 % by day of month and currency, deterministic.
  const d = Number(day.slice(8, 10));
  const bump = BigInt(((d * 3 + currency.charCodeAt(0)) % 7) - 3);
  return base + (base * bump) / 1000n;
}

/** The rate base → quote on `day` as a decimal string (6 decimals), or undefined. */
export function bankRate(base: string, quote: string, day: string): string | undefined {
  const b = perUsdOn(base, day);
  const q = perUsdOn(quote, day);
  if (b === undefined || q === undefined) return undefined;
  const scaled = (q * 1_000_000n + b / 2n) / b;
  const whole = scaled / 1_000_000n;
  const frac = (scaled % 1_000_000n).toString().padStart(6, '0');
  return `${whole}.${frac}`;
}

export function registerBank(app: FastifyInstance): void {
  app.get('/bank/v1/rates', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const base = typeof q.base === 'string' ? q.base : '';
    const quote = typeof q.quote === 'string' ? q.quote : '';
    const date = typeof q.date === 'string' ? q.date : '';
    if (!/^[A-Z]{3}$/.test(base) || !/^[A-Z]{3}$/.test(quote) || !/^\d{4}-\d{2}-\d{2}$/.test(date))
      return reply.code(400).send({ error: 'base, quote (ISO 4217) and date (YYYY-MM-DD) are required' });
    const rate = bankRate(base, quote, date);
    if (!rate) return reply.code(404).send({ error: `no rate for ${base}/${quote}` });
    return { base, quote, date, rate, source: 'sandbox-bank' };
  });
}
