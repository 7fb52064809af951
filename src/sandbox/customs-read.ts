/**
 * What the sandbox customs reads from a declarant: the transfer envelope (DxpMsg of the
 * terminal-node schema: TransInfo, then the CEB message base64-encoded in Data) and, inside it,
 * the CEB business message — its type, its guid, its head and lines as plain strings. Read
 * tolerantly (any namespace prefix, a BOM); a DTD is refused outright.
 */
import { XMLParser } from 'fast-xml-parser';

export const DXP_NS = 'http://www.chinaport.gov.cn/dxp';
export const CEB_NS = 'http://www.chinaport.gov.cn/ceb';
/** The customs cross-border e-commerce node of the exchange (the sandbox answers as it). */
export const CUSTOMS_NODE = 'DXPEDCCEB0000002';

/** The declarations the sandbox judges, what each one is, and where its fields are. */
export const DECLARED = {
  CEB311: { direction: 'import', doc: 'order', wrapper: 'Order', head: 'OrderHead', line: 'OrderList' },
  CEB411: { direction: 'import', doc: 'payment', wrapper: 'Payment', head: 'PaymentHead', line: null },
  CEB511: { direction: 'import', doc: 'waybill', wrapper: 'Logistics', head: 'LogisticsHead', line: null },
  CEB621: {
    direction: 'import',
    doc: 'inventory',
    wrapper: 'Inventory',
    head: 'InventoryHead',
    line: 'InventoryList',
  },
  CEB303: { direction: 'export', doc: 'order', wrapper: 'Order', head: 'OrderHead', line: 'OrderList' },
  CEB505: { direction: 'export', doc: 'waybill', wrapper: null, head: 'Logistics', line: null },
  CEB603: {
    direction: 'export',
    doc: 'inventory',
    wrapper: 'Inventory',
    head: 'InventoryHead',
    line: 'InventoryList',
  },
} as const;
export type DeclaredType = keyof typeof DECLARED;
export const isDeclaredType = (t: string): t is DeclaredType => Object.hasOwn(DECLARED, t);

export class CustomsReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CustomsReadError';
  }
}

export interface Envelope {
  copMsgId: string;
  senderId: string;
  msgType: string;
  /** The CEB message carried in Data, decoded. */
  message: string;
}

export interface Declaration {
  type: DeclaredType;
  guid: string;
  head: Record<string, string>;
  lines: Array<Record<string, string>>;
  /** The declarant's exchange node (BaseTransfer/dxpId), to address receipts to. */
  dxpId: string;
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => name === 'OrderList' || name === 'InventoryList' || name === 'ReceiverId',
});

function parse(xml: string, what: string): Record<string, unknown> {
  const body = xml.replace(/^\uFEFF/, '');
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new CustomsReadError(`${what}: a DTD is refused`);
  try {
    return parser.parse(body, true) as Record<string, unknown>;
  } catch (err) {
    throw new CustomsReadError(`${what} is not well-formed XML: ${(err as Error).message.slice(0, 200)}`);
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Opens a transfer envelope; throws CustomsReadError saying what is wrong with it. */
export function openEnvelope(xml: string): Envelope {
  const doc = parse(xml, 'the transfer envelope');
  const root = doc.DxpMsg;
  if (!root) throw new CustomsReadError('not a transfer envelope (DxpMsg expected)');
  const info = obj(obj(root).TransInfo);
  const data = str(obj(root).Data).replace(/\s+/g, '');
  if (!data) throw new CustomsReadError('the transfer envelope carries no Data');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw new CustomsReadError('Data is not base64');
  return {
    copMsgId: str(info.CopMsgId),
    senderId: str(info.SenderId),
    msgType: str(info.MsgType),
    message: Buffer.from(data, 'base64').toString('utf8'),
  };
}

const ROOT = /<(?:[A-Za-z_][\w.-]*:)?(CEB\d{3})Message\b/;
const GUID = /<(?:[A-Za-z_][\w.-]*:)?guid>\s*([0-9A-Fa-f-]{36})\s*</;

/**
 * Type and guid of a message that may not even parse, read by pattern: enough to address a
 * rejection to the declarant of a broken message.
 */
export function sniff(message: string): { type: string | undefined; guid: string | undefined } {
  return { type: ROOT.exec(message)?.[1], guid: GUID.exec(message)?.[1]?.toUpperCase() };
}

function flat(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (!k.startsWith('@')) out[k] = str(val);
  return out;
}

/** Reads a declaration (already schema-valid) into its head and lines. */
export function readDeclaration(message: string): Declaration {
  const doc = parse(message, 'the CEB message');
  const rootName = Object.keys(doc).find((k) => /^CEB\d{3}Message$/.test(k));
  const type = rootName?.slice(0, 6);
  if (!rootName || !type || !isDeclaredType(type))
    throw new CustomsReadError(
      `not a declaration the sandbox customs takes (${rootName ?? 'no CEB message'})`,
    );
  const spec = DECLARED[type];
  const root = obj(doc[rootName]);
  const holder = spec.wrapper ? obj(root[spec.wrapper]) : root;
  const head = flat(holder[spec.head]);
  const lines = spec.line ? ((holder[spec.line] as unknown[] | undefined) ?? []).map(flat) : [];
  return {
    type,
    guid: (head.guid ?? str(root['@guid'])).toUpperCase(),
    head,
    lines,
    dxpId: str(obj(root.BaseTransfer).dxpId),
  };
}
