/**
 * How the pipeline reaches customs: the customs connector's message exchange (the transfer
 * client's folders or its HTTP interface), as the declaration and receipt runs use it.
 */
import type { CustomsConnector, ReceiptFile } from '../../connectors/types.js';

export interface CustomsTransfer {
  send(name: string, content: string): Promise<void>;
  next(): Promise<ReceiptFile | undefined>;
  acknowledge(file: ReceiptFile): Promise<void>;
}

/** The connector's exchange, or undefined when it does not exchange messages. */
export function transferOf(c: CustomsConnector | undefined): CustomsTransfer | undefined {
  if (!c?.sendMessage || !c.nextReceipt || !c.acknowledgeReceipt) return undefined;
  const { sendMessage, nextReceipt, acknowledgeReceipt } = c;
  return {
    send: (name, content) => sendMessage.call(c, name, content),
    next: () => nextReceipt.call(c),
    acknowledge: (file) => acknowledgeReceipt.call(c, file),
  };
}
