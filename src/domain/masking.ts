/**
 * Masking of personal data for logs, errors, exports and API answers to callers without the
 * personal-data permission [002-4.4] [001-7]: enough to tell records apart, not enough to
 * contact or locate the person.
 */
import type { Address } from './schemas.js';

/** `+14155550100` → `+1415****0100`: enough to tell numbers apart, not enough to call. */
export function maskPhone(phone: string): string {
  const chars = Array.from(phone);
  if (chars.length >= 10) return `${chars.slice(0, 5).join('')}****${chars.slice(-4).join('')}`;
  if (chars.length >= 5) return `****${chars.slice(-2).join('')}`;
  return '****';
}

/** `Jane Doe` → `J*** D**`: each word keeps its first letter. */
export function maskName(name: string): string {
  return name
    .split(/(\s+)/)
    .map((part) => {
      if (/^\s*$/.test(part)) return part;
      const chars = Array.from(part);
      return chars[0] + '*'.repeat(chars.length - 1);
    })
    .join('');
}

/** `jane@example.com` → `j***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return maskName(email);
  return `${maskName(email.slice(0, at))}${email.slice(at)}`;
}

/** `AB12 3CD` → `AB1****`: the area stays visible for routing questions. */
export function maskPostalCode(code: string): string {
  const chars = Array.from(code);
  return chars.length <= 3 ? '***' : `${chars.slice(0, 3).join('')}****`;
}

/** Everything but the last four characters hidden. */
export function maskIdNumber(id: string): string {
  const chars = Array.from(id);
  return chars.length <= 4 ? '****' : `****${chars.slice(-4).join('')}`;
}

/** The address as a caller without `pii:read` sees it: country and city stay, the rest masked. */
export function maskAddress(a: Address): Address {
  return {
    name: maskName(a.name),
    ...(a.phone !== undefined ? { phone: maskPhone(a.phone) } : {}),
    ...(a.email !== undefined ? { email: maskEmail(a.email) } : {}),
    ...(a.company !== undefined ? { company: maskName(a.company) } : {}),
    line1: maskName(a.line1),
    ...(a.line2 !== undefined ? { line2: maskName(a.line2) } : {}),
    city: a.city,
    ...(a.state !== undefined ? { state: a.state } : {}),
    ...(a.postalCode !== undefined ? { postalCode: maskPostalCode(a.postalCode) } : {}),
    country: a.country,
    ...(a.idNumber !== undefined ? { idNumber: maskIdNumber(a.idNumber) } : {}),
  };
}

/**
 * Free text with what looks like contact data masked: e-mail addresses and runs of digits long
 * enough to be a phone or an ID number. A net for text the hub composes around values it did
 * not write itself; it cannot recognise names or streets, so text a partner wrote is never kept
 * in the clear at all (see the sealed job errors).
 */
export function maskFreeText(text: string, max = 500): string {
  const masked = text
    .replace(/[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+/g, '[email]')
    .replace(/\+?\d[\d ()./-]{4,}\d/g, '[number]');
  return masked.length > max ? `${masked.slice(0, max)}…` : masked;
}
