/** The bank's rate answers, from fixture files, read against the question asked. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MalformedAnswer } from '../../contract.js';
import { readRate } from './mapper.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const q = { base: 'USD', quote: 'CNY', day: '2026-11-30' };

describe('sandbox-bank rate answers', () => {
  it('reads the rate of the pair and day asked as a decimal string', () => {
    expect(readRate(q, 200, fixture('rate.bank.json'))).toEqual({ ok: true, value: '7.127120' });
  });

  it('refuses an answer about another day or pair: converting with it would be silently wrong', () => {
    expect(() => readRate(q, 200, fixture('rate-other-day.bank.json'))).toThrow(MalformedAnswer);
    expect(() => readRate({ ...q, quote: 'EUR' }, 200, fixture('rate.bank.json'))).toThrow(/USD\/EUR/);
  });

  it('refuses a rate that is not a positive decimal string, and an answer that is not JSON', () => {
    for (const rate of ['0', '-7.1', '7,12', 7.12, '', '1e3'])
      expect(() =>
        readRate(q, 200, JSON.stringify({ base: 'USD', quote: 'CNY', date: '2026-11-30', rate })),
      ).toThrow(MalformedAnswer);
    expect(() => readRate(q, 200, '<html>')).toThrow(MalformedAnswer);
  });

  it('takes 404 as "no rate published" and a 400 as a refusal with its message', () => {
    expect(readRate(q, 404, fixture('no-rate.bank.json'))).toEqual({ ok: true, value: undefined });
    expect(readRate(q, 400, '{"error":"base, quote and date are required"}')).toEqual({
      ok: false,
      error: { code: '400', message: 'base, quote and date are required', status: 400 },
    });
    expect(readRate(q, 418, 'teapot')).toMatchObject({ ok: false, error: { code: '418' } });
  });
});
