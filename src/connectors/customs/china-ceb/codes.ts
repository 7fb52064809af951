/**
 * Canonical codes (ISO 4217 currencies, ISO 3166 countries, units) translated to China Customs'
 * code tables. The tables are data files beside this one (codes/*.json), each naming its source;
 * a value with no entry fails naming the canonical field that carried it.
 */
import currency from './codes/currency.json' with { type: 'json' };
import country from './codes/country.json' with { type: 'json' };
import unit from './codes/unit.json' with { type: 'json' };
import { CustomsFieldMissing } from './fields.js';

type Table = { readonly source: string; readonly codes: Readonly<Record<string, string>> };

const lookup = (table: Table, what: string) => (value: string, field: string) => {
  const code = table.codes[value];
  if (!code) throw new CustomsFieldMissing(field, `${value} has no entry in the customs ${what} code table`);
  return code;
};

export const customsCurrency = lookup(currency, 'currency');
export const customsCountry = lookup(country, 'country');
export const customsUnit = lookup(unit, 'unit');

/** RMB: the only currency of import declarations (the import XSD fixes `currency` to it). */
export const RMB = currency.codes.CNY;

export const CODE_TABLES: Readonly<Record<string, Table>> = { currency, country, unit };

/** A canonical value with no entry in a table has no fallback: the message fails naming the field. */
export const CODE_FALLBACK = undefined;
