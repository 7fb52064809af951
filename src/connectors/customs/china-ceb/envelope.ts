/**
 * The transfer envelope (传输报文, transfer-node-202205.xsd / DxpMsg of the terminal schema):
 * what the customs transfer client picks up from its outbox folder and what it leaves in the
 * inbox. The signed CEB message travels base64-encoded in `Data`; `TransInfo` names the sender's
 * and receiver's DXP nodes, a unique `CopMsgId` and the message type.
 */
import { XMLParser } from 'fast-xml-parser';
import { escapeXml } from './xml-writer.js';

export const DXP_NS = 'http://www.chinaport.gov.cn/dxp';
/** The customs cross-border e-commerce node that receives CEB messages. */
export const CUSTOMS_CEB_NODE = 'DXPEDCCEB0000002';

export interface Envelope {
  copMsgId: string;
  senderId: string;
  receiverId: string;
  createdAt: Date;
  /** `CEB311Message`, `CEB622Message`, … */
  msgType: string;
  message: string;
}

export function wrapEnvelope(e: Envelope): string {
  const data = Buffer.from(e.message, 'utf8').toString('base64');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<dxp:DxpMsg ver="1.0" xmlns:dxp="${DXP_NS}">`,
    '\t<dxp:TransInfo>',
    `\t\t<dxp:CopMsgId>${escapeXml(e.copMsgId)}</dxp:CopMsgId>`,
    `\t\t<dxp:SenderId>${escapeXml(e.senderId)}</dxp:SenderId>`,
    `\t\t<dxp:ReceiverIds><dxp:ReceiverId>${escapeXml(e.receiverId)}</dxp:ReceiverId></dxp:ReceiverIds>`,
    `\t\t<dxp:CreatTime>${e.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}</dxp:CreatTime>`,
    `\t\t<dxp:MsgType>${escapeXml(e.msgType)}</dxp:MsgType>`,
    '\t</dxp:TransInfo>',
    `\t<dxp:Data>${data}</dxp:Data>`,
    '</dxp:DxpMsg>',
    '',
  ].join('\n');
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: true,
  htmlEntities: false,
});

export class EnvelopeUnreadable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeUnreadable';
  }
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

/** Reads an envelope tolerantly (any prefix, BOM); a bare CEB message is accepted as its own payload. */
export function unwrapEnvelope(xml: string): Omit<Envelope, 'createdAt'> & { createdAt?: Date } {
  const body = xml.replace(/^\uFEFF/, '');
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new EnvelopeUnreadable('a DTD is refused');
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(body, true) as Record<string, unknown>;
  } catch (err) {
    throw new EnvelopeUnreadable(`not well-formed XML: ${(err as Error).message.slice(0, 200)}`);
  }
  const root = doc.DxpMsg as Record<string, unknown> | undefined;
  if (!root) {
    const msgType = Object.keys(doc).find((k) => /^CEB\d{3}Message$/.test(k));
    if (!msgType) throw new EnvelopeUnreadable('neither a transfer envelope nor a CEB message');
    return { copMsgId: '', senderId: '', receiverId: '', msgType, message: body };
  }
  const info = (root.TransInfo ?? {}) as Record<string, unknown>;
  const receivers = (info.ReceiverIds ?? {}) as Record<string, unknown>;
  const data = text(root.Data);
  if (!data) throw new EnvelopeUnreadable('the envelope carries no Data');
  const created = Date.parse(text(info.CreatTime));
  return {
    copMsgId: text(info.CopMsgId),
    senderId: text(info.SenderId),
    receiverId: text(Array.isArray(receivers.ReceiverId) ? receivers.ReceiverId[0] : receivers.ReceiverId),
    msgType: text(info.MsgType),
    message: Buffer.from(data, 'base64').toString('utf8'),
    ...(Number.isFinite(created) ? { createdAt: new Date(created) } : {}),
  };
}
