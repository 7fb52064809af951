/**
 * Rate-card files: YAML text → a validated card. Every issue is reported as `file:line: field
 * message`, like the partner policy file, so an operator fixes all of them in one pass.
 */
import { LineCounter, parseDocument } from 'yaml';
import { validateRateCard, type RateCard } from './rate-card.js';

export class RateCardError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(issues.join('\n'));
    this.name = 'RateCardError';
    this.issues = issues;
  }
}

export function parseRateCardText(text: string, file: string): RateCard {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RateCardError(
      doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  const { card, issues } = validateRateCard(doc.toJS());
  if (card) return card;
  throw new RateCardError(
    issues.map((issue) => {
      // The line of the field itself, else of the nearest enclosing node that exists.
      let line: number | string = '?';
      for (let n = issue.path.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(issue.path.slice(0, n), true);
        const range = (node as { range?: [number, number] } | null | undefined)?.range;
        if (range) {
          line = lineCounter.linePos(range[0]).line;
          break;
        }
      }
      return `${file}:${line}: ${issue.path.join('.') || '(root)'} ${issue.message}`;
    }),
  );
}
