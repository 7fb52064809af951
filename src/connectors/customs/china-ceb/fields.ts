/**
 * A message that needs a value neither the order, the product catalogue nor the configuration
 * supplies fails before anything is built or sent, naming the canonical field (`buyer.idNumber`,
 * `items[1].hsCode`, `customs.parties.logistics.code`) and what it should hold.
 */
export class CustomsFieldMissing extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'CustomsFieldMissing';
  }
}

export function need<T>(value: T | undefined | null | '', field: string, what = 'is required'): T {
  if (value === undefined || value === null || value === '') throw new CustomsFieldMissing(field, what);
  return value;
}
