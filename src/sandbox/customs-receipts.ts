/**
 * Receipts (回执) as customs writes them, in the official 2022-05 formats: CEB312 / CEB412 /
 * CEB512 / CEB622 for import, CEB304 / CEB506 / CEB604 for export, each quoting the guid of the
 * declaration it answers, with customs' status code, its time (Beijing, YYYYMMDDhhmmssSSS) and its
 * text — then wrapped in a transfer envelope from the customs node to the declarant's node.
 *
 * Status codes used: 120 海关入库 (accepted), 100 海关退单 (refused, `[Code:…;Desc:…]`), 800 放行
 * (released, inventory lists), and a negative code for a message the single window could not
 * process (schema failure), as the XSD's documentation of returnStatus says.
 */
import { randomUUID } from 'node:crypto';
import { CEB_NS, CUSTOMS_NODE, DXP_NS, type Declaration, type DeclaredType } from './customs-read.js';

const RECEIPT: Record<DeclaredType, { type: string; element: string }> = {
  CEB311: { type: 'CEB312', element: 'OrderReturn' },
  CEB411: { type: 'CEB412', element: 'PaymentReturn' },
  CEB511: { type: 'CEB512', element: 'LogisticsReturn' },
  CEB621: { type: 'CEB622', element: 'InventoryReturn' },
  CEB303: { type: 'CEB304', element: 'OrderReturn' },
  CEB505: { type: 'CEB506', element: 'LogisticsReturn' },
  CEB603: { type: 'CEB604', element: 'InventoryReturn' },
};
export const receiptTypeOf = (t: DeclaredType) => RECEIPT[t].type;

export const STATUS = { accepted: '120', refused: '100', released: '800', unprocessable: '-1' } as const;

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Beijing time, YYYYMMDDhhmmssSSS. */
export function cebReturnTime(ms: number): string {
  const t = new Date(ms + 8 * 3600_000);
  return `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}${pad(t.getUTCMilliseconds(), 3)}`;
}

/** The numbers customs gives an inventory list it takes in: pre-entry (18) and list number. */
export interface ListNumbers {
  preNo: string;
  invtNo: string;
}

export interface ReceiptSpec {
  declaration: Declaration;
  status: string;
  info: string;
  atMs: number;
  numbers?: ListNumbers | undefined;
}

/** The pre-entry number of a list refused before it got one (the field is required, 18 long). */
const NO_PRE_NO = '000000000000000000';

/** Longest value the receipt schemas allow per echoed field (the stricter of import and export). */
const LIMITS: Record<string, number> = {
  ebpCode: 18,
  ebcCode: 18,
  agentCode: 18,
  logisticsCode: 18,
  payCode: 18,
  orderNo: 60,
  payTransactionId: 60,
  logisticsNo: 32,
  copNo: 20,
  customsCode: 4,
  statisticsFlag: 1,
};

/** The fields of one receipt element, in the order of the XSD sequence. */
function fields(s: ReceiptSpec): Array<[string, string | undefined]> {
  const h = s.declaration.head;
  const r = (v: string | undefined) => v ?? '';
  const tail: Array<[string, string]> = [
    ['returnStatus', s.status],
    ['returnTime', cebReturnTime(s.atMs)],
    ['returnInfo', s.info.slice(0, 1000)],
  ];
  const guid: [string, string] = ['guid', s.declaration.guid];
  const n = s.numbers;
  switch (s.declaration.type) {
    case 'CEB311':
    case 'CEB303':
      return [guid, ['ebpCode', r(h.ebpCode)], ['ebcCode', r(h.ebcCode)], ['orderNo', r(h.orderNo)], ...tail];
    case 'CEB411':
      return [guid, ['payCode', r(h.payCode)], ['payTransactionId', r(h.payTransactionId)], ...tail];
    case 'CEB511':
    case 'CEB505':
      return [guid, ['logisticsCode', r(h.logisticsCode)], ['logisticsNo', r(h.logisticsNo)], ...tail];
    case 'CEB621':
      return [
        guid,
        ['customsCode', r(h.customsCode)],
        ['ebpCode', r(h.ebpCode)],
        ['ebcCode', r(h.ebcCode)],
        ['agentCode', r(h.agentCode)],
        ['copNo', (h.copNo || h.orderNo || '-').slice(0, 20)],
        ['preNo', n?.preNo ?? NO_PRE_NO],
        ['invtNo', n?.invtNo],
        ...tail,
      ];
    case 'CEB603':
      return [
        guid,
        ['agentCode', r(h.agentCode)],
        ['copNo', r(h.copNo)],
        ['preNo', n?.preNo ?? NO_PRE_NO],
        ['invtNo', n?.invtNo ?? '-'],
        ['ebcCode', r(h.ebcCode)],
        ['ebpCode', r(h.ebpCode)],
        ['orderNo', r(h.orderNo)],
        ['statisticsFlag', h.statisticsFlag || 'A'],
        ...tail,
      ];
  }
}

/** The receipt message (CEB312 … CEB604) answering one declaration. */
export function receiptMessage(s: ReceiptSpec): string {
  const { type, element } = RECEIPT[s.declaration.type];
  const body = fields(s)
    // Optional fields are left out; a required one the declaration lacked (a broken message
    // refused for it) is answered with '-', so the receipt itself stays schema-valid.
    // An echoed value is cut to the receipt's own limit: a refusal for an over-long field is
    // still a valid receipt.
    .filter((f): f is [string, string | ''] => f[1] !== undefined)
    .map(([k, v]) => `\t\t<ceb:${k}>${esc((v || '-').slice(0, LIMITS[k] ?? 1000))}</ceb:${k}>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<ceb:${type}Message guid="${randomUUID().toUpperCase()}" version="1.0" xmlns:ceb="${CEB_NS}">`,
    `\t<ceb:${element}>`,
    ...body,
    `\t</ceb:${element}>`,
    `</ceb:${type}Message>`,
    '',
  ].join('\n');
}

/** A transfer envelope from the customs node to the declarant's node around `message`. */
export function receiptEnvelope(o: { message: string; msgType: string; receiverId: string; atMs: number }): {
  copMsgId: string;
  xml: string;
} {
  const copMsgId = randomUUID().replace(/-/g, '').toUpperCase();
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<dxp:DxpMsg ver="1.0" xmlns:dxp="${DXP_NS}">`,
    '\t<dxp:TransInfo>',
    `\t\t<dxp:CopMsgId>${copMsgId}</dxp:CopMsgId>`,
    `\t\t<dxp:SenderId>${CUSTOMS_NODE}</dxp:SenderId>`,
    `\t\t<dxp:ReceiverIds><dxp:ReceiverId>${esc(o.receiverId.slice(0, 16) || 'DXPENTUNKNOWN')}</dxp:ReceiverId></dxp:ReceiverIds>`,
    `\t\t<dxp:CreatTime>${new Date(o.atMs).toISOString().replace(/\.\d{3}Z$/, 'Z')}</dxp:CreatTime>`,
    `\t\t<dxp:MsgType>${o.msgType}</dxp:MsgType>`,
    '\t</dxp:TransInfo>',
    `\t<dxp:Data>${Buffer.from(o.message, 'utf8').toString('base64')}</dxp:Data>`,
    '</dxp:DxpMsg>',
    '',
  ].join('\n');
  return { copMsgId, xml };
}
