/**
 * Canonical ↔ CEB: the builders of every message (messages.ts, validated and signed by
 * prepare.ts) and the receipts read back (receipts.ts). Gathered here so the folder reads like
 * every connector's: the pipeline takes what it needs from these.
 */
export { buildMessage, schemaOf, orderAmounts, type CebMessageType, type CebOrder } from './messages.js';
export { prepareMessage, renderValidated, CebInvalid, type Prepared } from './prepare.js';
export { parseReceipts, ReceiptUnreadable, type CebReceipt } from './receipts.js';
export { unwrapEnvelope, EnvelopeUnreadable } from './envelope.js';
