/**
 * Rate-card files: YAML text → a validated card. Every issue is reported as `file:line: field
 * message`, like the partner policy file, so an operator fixes all of them in one pass.
 */
import { problemAt, readYamlSource } from '../yaml-source.js';
import { validateRateCard, type RateCard } from './rate-card.js';
import { validateBillMapping, type BillMapping } from './bill.js';

export class RateCardError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(issues.join('\n'));
    this.name = 'RateCardError';
    this.issues = issues;
  }
}

export function parseRateCardText(text: string, file: string): RateCard {
  const { source, syntaxErrors } = readYamlSource(text, file);
  if (syntaxErrors.length > 0) throw new RateCardError(syntaxErrors);
  const { card, issues } = validateRateCard(source.doc.toJS());
  if (card) return card;
  throw new RateCardError(issues.map((issue) => problemAt(source, issue.path, issue.message)));
}

/**
 * A column-mapping file (YAML or JSON) for a partner without an API: the `bills` block of a rate
 * card on its own. Issues are reported as for a card, `file:line: field message`.
 */
export function parseBillMappingText(text: string, file: string): BillMapping {
  const { source, syntaxErrors } = readYamlSource(text, file);
  if (syntaxErrors.length > 0) throw new RateCardError(syntaxErrors);
  const { mapping, issues } = validateBillMapping(source.doc.toJS());
  if (mapping) return mapping;
  throw new RateCardError(issues.map((issue) => problemAt(source, issue.path, issue.message)));
}
