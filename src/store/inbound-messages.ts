/** Raw partner messages are kept sealed: they carry consignees' names, phones and addresses. */
export const INBOUND_BODY_CONTEXT = 'inbound_messages.body';
