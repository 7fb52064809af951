/**
 * What a label file is, read from its first bytes rather than from what a partner says it is:
 * a carrier that answers an HTML error page with status 200 must not be stored as a PDF label.
 */
import type { ShipmentLabel } from './types.js';

export function labelFormatOf(data: Buffer): ShipmentLabel['format'] | undefined {
  if (data.subarray(0, 5).toString('latin1') === '%PDF-') return 'PDF';
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'PNG';
  // ZPL II: a label format starts with ^XA (leading whitespace and a ~ command allowed).
  if (/^\s*(~[A-Z]{2}[^^]*)?\^XA/.test(data.subarray(0, 256).toString('latin1'))) return 'ZPL';
  return undefined;
}
