/**
 * What the bank's answers to a rate question mean, by HTTP status, as data: 200 carries the rate,
 * 404 says it publishes none for that pair and day (not an error: the hub then has no rate and
 * the converted lines wait), anything else the bank has not documented is a refusal.
 */
export type RateAnswer = 'rate' | 'no_rate' | 'refused';

export const STATUS_MEANINGS: Readonly<Record<number, RateAnswer>> = {
  200: 'rate',
  404: 'no_rate',
  400: 'refused',
};

export const STATUS_FALLBACK: RateAnswer = 'refused';

export function meaningOf(status: number): RateAnswer {
  return Object.hasOwn(STATUS_MEANINGS, status) ? (STATUS_MEANINGS[status] as RateAnswer) : STATUS_FALLBACK;
}
