/**
 * From canonical case to what the transfer client sends: build the message, validate it against
 * the XSD (before signing), sign it, validate the signed form, wrap it in the transfer envelope.
 * Nothing leaves unless every step passed; a failure says which step and why.
 */
import { wrapEnvelope, CUSTOMS_CEB_NODE } from './envelope.js';
import { buildMessage, schemaOf, type CebCase, type CebMessageType } from './messages.js';
import type { CebSigner } from './sign.js';
import { validateCeb, type XsdProblem } from './xsd.js';

/** A generated message broke the XSD: the message type and each problem (element, rule, line). */
export class CebInvalid extends Error {
  constructor(
    readonly messageType: string,
    readonly problems: readonly XsdProblem[],
  ) {
    const first = problems[0];
    super(
      `${messageType} fails the 2022-05 XSD: ${first ? `${first.element} (${first.rule}) line ${first.line ?? '?'}: ${first.message}` : 'invalid'}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`,
    );
    this.name = 'CebInvalid';
  }
}

export interface Prepared {
  messageType: CebMessageType;
  guid: string;
  /** The signed CEB message. */
  message: string;
  /** The transfer envelope around it, as written to the outbox. */
  envelope: string;
  /** The outbox file name: stable for a message, so a retry rewrites the same file. */
  fileName: string;
}

/** The unsigned message, validated (what `waygate customs render` prints). */
export async function renderValidated(type: CebMessageType, c: CebCase, xsdDir?: string): Promise<string> {
  const xml = buildMessage(type, c);
  const verdict = await validateCeb(xml, schemaOf(type), {
    signatureLater: true,
    ...(xsdDir ? { dir: xsdDir } : {}),
  });
  if (!verdict.valid) throw new CebInvalid(type, verdict.problems);
  return xml;
}

export async function prepareMessage(
  type: CebMessageType,
  c: CebCase,
  o: { signer: CebSigner; senderId: string; xsdDir?: string; now?: Date },
): Promise<Prepared> {
  const unsigned = await renderValidated(type, c, o.xsdDir);
  const message = o.signer.sign(unsigned);
  const signed = await validateCeb(message, schemaOf(type), o.xsdDir ? { dir: o.xsdDir } : {});
  if (!signed.valid) throw new CebInvalid(type, signed.problems);
  const copMsgId = c.guid.replace(/-/g, '');
  const envelope = wrapEnvelope({
    copMsgId,
    senderId: o.senderId,
    receiverId: CUSTOMS_CEB_NODE,
    createdAt: o.now ?? c.at,
    msgType: `${type}Message`,
    message,
  });
  return { messageType: type, guid: c.guid, message, envelope, fileName: `${type}_${copMsgId}.xml` };
}
