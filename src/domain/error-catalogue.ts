/**
 * The one error catalogue (Fastify's way): every error the hub can answer with has a stable code,
 * declared here once with its HTTP status and a message template. Callers name the code and may
 * give a more specific message; `{name}` placeholders in the template are filled from the error's
 * details. `docs/errors.md` is generated from this table (`npm run docs:errors`) and a test fails
 * when it is stale, so the published list cannot drift from what the hub answers.
 */

export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

export const ERROR_CATALOGUE = {
  // The request itself
  validation_failed: { status: 400, message: 'the request is invalid; details[] names each field' },
  invalid_request: { status: 400, message: 'the request is malformed' },
  invalid_json: { status: 400, message: 'the body is not valid JSON' },
  invalid_encoding: { status: 400, message: 'the body is not valid UTF-8' },
  body_too_complex: { status: 400, message: 'the body is nested too deeply or holds too many values' },
  invalid_cursor: { status: 400, message: 'the cursor is not one this API issued' },
  invalid_date: { status: 400, message: 'the date is not a valid ISO 8601 date' },
  payload_too_large: { status: 413, message: 'the request body is larger than {limitBytes} bytes' },
  unsupported_media_type: { status: 415, message: 'send application/json' },
  route_not_found: { status: 404, message: 'no such route' },
  rate_limited: { status: 429, message: 'rate limit of {limitPerMinute} requests per minute exceeded' },
  auth_throttled: {
    status: 429,
    message: 'too many failed authentications; retry after {retryAfterSeconds} s',
  },
  overloaded: { status: 503, message: 'the hub is at capacity; retry later' },
  backlog_full: { status: 503, message: 'the queue is full; retry later' },
  internal_error: { status: 500, message: 'internal error; the request was not completed' },

  // Machine callers: API keys and signatures
  auth_missing: { status: 401, message: 'sign the request with an API key, or send a session token' },
  auth_bad_signature: { status: 401, message: 'the request signature does not match' },
  auth_stale_timestamp: {
    status: 401,
    message: 'the request timestamp is more than 300 s from the server clock',
  },
  auth_bad_nonce: { status: 401, message: 'the nonce is missing or malformed' },
  auth_replayed_nonce: { status: 401, message: 'the nonce was already used (a replayed request)' },
  auth_key_expired: { status: 401, message: 'the API key has expired or was revoked' },
  ip_not_allowed: { status: 403, message: "the caller's address is not on the key's allow-list" },
  missing_permission: { status: 403, message: 'the caller lacks the permission {permission}' },
  route_not_permitted: { status: 403, message: 'the route declares no permission and is closed' },
  apikey_not_found: { status: 404, message: 'no such API key' },
  invalid_key_grant: { status: 400, message: 'the key grant is invalid' },
  grant_exceeds_grantor: { status: 403, message: 'nobody may grant a permission or role they do not hold' },
  grantor_unknown: { status: 403, message: 'the acting account is unknown, frozen or disabled' },

  // People: accounts and sessions
  invalid_credentials: {
    status: 401,
    message:
      'the username or password is wrong, or the account is locked for a while after repeated failures; ' +
      'try again later or ask an administrator',
  },
  account_locked: { status: 423, message: 'too many failed logins: the account is locked for a while' },
  account_frozen: { status: 403, message: 'the account is frozen: ask an administrator' },
  account_disabled: { status: 403, message: 'the account is disabled: ask an administrator' },
  password_expired: { status: 403, message: 'the password has expired: change it first' },
  password_rejected: { status: 400, message: 'the password does not meet the policy' },
  totp_required: { status: 401, message: 'this account needs the code from its authenticator app' },
  totp_invalid: { status: 401, message: 'the authenticator code is wrong, expired or was already used' },
  totp_not_enrolling: { status: 409, message: 'no authenticator enrolment is in progress' },
  session_required: { status: 401, message: 'sign in first' },
  session_invalid: { status: 401, message: 'sign in again: the session is unknown, expired or ended' },
  reset_token_invalid: { status: 401, message: 'the reset token is unknown, expired or was already used' },
  user_not_found: { status: 404, message: 'no such user' },
  username_taken: { status: 409, message: 'the username is taken' },
  invalid_username: { status: 400, message: 'the username is invalid' },
  invalid_role: { status: 400, message: 'no such role' },
  invalid_status: { status: 400, message: 'no such account status' },
  invalid_policy_preset: { status: 400, message: 'no such password policy preset' },
  invalid_inactive_days: { status: 400, message: 'the inactivity limit must be a whole number of days' },
  cannot_change_own_role: { status: 409, message: 'nobody changes their own role' },
  cannot_freeze_self: { status: 409, message: 'nobody freezes or disables their own account' },

  // Orders and shipments
  order_not_found: { status: 404, message: 'no such order' },
  shipment_not_found: { status: 404, message: 'no such shipment' },
  label_not_found: { status: 404, message: 'the shipment has no label (its carrier issues none)' },
  label_unavailable: {
    status: 503,
    message: "the carrier's label could not be obtained now; retry later",
  },
  duplicate_sku: { status: 400, message: 'a SKU appears twice in the order' },
  order_total_too_large: { status: 400, message: "the order's total exceeds the largest amount, {max}" },
  idempotency_key_reused: { status: 409, message: 'the Idempotency-Key was used for a different request' },
  source_not_allowed: { status: 403, message: "the order's source is not the key's partner" },
  order_not_editable: { status: 409, message: 'the order can no longer be edited' },
  order_not_cancellable: {
    status: 409,
    message: 'only a failed, needs_data or awaiting_stock order can be cancelled',
  },
  order_conflict: {
    status: 409,
    message: 'an order with this source and externalId exists with different contents',
  },
  unknown_source: { status: 422, message: 'the order source is not a configured sales channel' },

  // Returns
  return_not_found: { status: 404, message: 'no such return' },
  return_invalid: { status: 400, message: 'the return request is invalid; details name the field' },
  return_order_not_shipped: { status: 409, message: 'the order has not been shipped: nothing to return' },
  return_line_unknown: { status: 422, message: 'a returned SKU is not a line of the order' },
  return_quantity_exceeds_shipped: {
    status: 422,
    message: 'more units returned than were shipped and not yet returned',
  },
  return_duplicate: { status: 409, message: 'the order already has a return with this reference' },
  return_transition_invalid: {
    status: 409,
    message: 'the return cannot move to that status from where it is',
  },
  return_no_warehouse: { status: 409, message: 'no warehouse partner takes returns' },
  return_not_cancellable: {
    status: 409,
    message: 'the return parcel is on its way or received: it can no longer be cancelled',
  },

  // Product catalogue
  product_not_found: { status: 404, message: 'no such product' },
  products_invalid: {
    status: 400,
    message: 'some products are invalid and none was saved; details[] names each row and field',
  },

  // Partner pushes
  partner_not_found: { status: 404, message: 'no such partner' },
  partner_signature_invalid: { status: 401, message: "the partner's signature does not verify" },
  partner_payload_invalid: { status: 400, message: 'the partner message cannot be read' },
  order_payload_invalid: { status: 400, message: 'the order cannot become a canonical order' },
  webhook_headers_invalid: { status: 400, message: 'the webhook headers are missing or malformed' },
  webhook_topic_unsupported: { status: 400, message: 'the webhook topic is not one this hub handles' },
  stock_event_invalid: { status: 400, message: 'the warehouse stock event cannot be read' },
  return_payload_invalid: { status: 400, message: 'the return request cannot be read' },

  // Snapshots and reconciliations [004-3.2]
  snapshot_dir_unusable: { status: 400, message: 'the snapshot folder cannot be written' },
  reconciliation_not_found: { status: 404, message: 'no such reconciliation report' },

  // Dead letters
  dlq_job_not_found: { status: 404, message: 'no such dead letter' },
  dlq_job_not_dead: { status: 409, message: 'the job is not dead-lettered' },
  edit_not_supported: { status: 400, message: 'this kind of job cannot be edited' },
  invalid_edit: { status: 400, message: 'the edit is invalid' },
  invalid_reason: { status: 400, message: 'give a reason' },
  dlq_payload_invalid: {
    status: 409,
    message: "the dead job's stored payload does not match its kind's schema: discard it",
  },

  // Jobs (the job registry): a payload is checked when queued and when leased
  invalid_job_payload: { status: 500, message: "the job's payload does not match its kind's schema" },
  unreadable_job_payload: { status: 500, message: "the job's stored payload is not JSON" },

  // Files exchanged with partners
  unreadable_file: { status: 400, message: 'the file cannot be read' },
  unsupported_file_format: { status: 400, message: 'send CSV or XLSX' },
  missing_columns: { status: 400, message: 'the file lacks required columns' },
  invalid_source: { status: 400, message: 'the source is not a valid partner id' },
  invalid_carrier: { status: 400, message: 'the carrier is not a valid partner id' },

  // Data-subject requests
  subject_required: { status: 400, message: 'name the data subject by e-mail or phone' },
  subject_has_open_orders: { status: 409, message: 'the data subject has orders still on their way' },

  // Audit log
  audit_chain_broken: { status: 409, message: 'the audit chain does not verify' },
  retention_too_short: { status: 400, message: 'audit entries are kept at least 180 days' },
  audit_beside_database: {
    status: 400,
    message: 'the audit key and checkpoints must not sit beside the database',
  },
  audit_state_unreadable: { status: 400, message: "the audit verifier's state file cannot be read" },

  // Certificates
  cert_not_found: { status: 404, message: 'no such certificate' },
  cert_not_issued: { status: 404, message: 'the certificate has not been issued yet' },
  cert_no_pending_request: { status: 404, message: 'the certificate has no pending signing request' },
  cert_name_taken: { status: 409, message: 'the certificate name is taken' },
  cert_name_invalid: { status: 400, message: 'the certificate name is invalid' },
  cert_subject_invalid: { status: 400, message: 'the subject is not a valid distinguished name' },
  cert_partner_invalid: { status: 400, message: 'the partner id is invalid' },
  cert_target_required: { status: 400, message: 'name the certificate to act on' },
  cert_reason_required: { status: 400, message: 'give a reason' },
  cert_days_invalid: { status: 400, message: 'the validity must be a whole number of days' },
  cert_unreadable: { status: 400, message: 'the certificate is not readable PEM' },
  cert_file_unreadable: { status: 400, message: 'the certificate file cannot be read' },
  cert_key_unsupported: { status: 400, message: 'the key algorithm is not supported' },
  cert_key_mismatch: { status: 400, message: 'the certificate does not match the key' },
  cert_expired: { status: 400, message: 'the certificate has expired' },
  cert_not_yet_valid: { status: 400, message: 'the certificate is not valid yet' },
  cert_already_registered: { status: 409, message: 'the certificate is already registered' },
  cert_already_revoked: { status: 409, message: 'the certificate is already revoked' },
  cert_request_pending: { status: 409, message: 'a signing request is already pending' },
  cert_state_changed: { status: 409, message: 'the certificate changed meanwhile; try again' },

  // Fee settlement
  settlement_period_invalid: { status: 400, message: 'the period must be a month YYYY-MM' },
  settlement_no_rate_card: { status: 404, message: 'no rate card is configured for the partner' },
  settlement_bill_unreadable: {
    status: 400,
    message: 'the bill cannot be read; it is kept as received and details names each line and field',
  },
  settlement_bill_conflict: {
    status: 409,
    message: 'the partner already sent a different bill with this number',
  },
  settlement_bill_not_found: { status: 404, message: 'no such bill' },
  settlement_mapping_invalid: {
    status: 400,
    message: 'the column mapping is not valid; details names each field of the mapping',
  },
  settlement_line_not_found: { status: 404, message: 'the bill has no such line' },
  fx_rate_invalid: { status: 400, message: 'the exchange rate is invalid' },
  fx_rate_missing: {
    status: 409,
    message: 'no exchange rate for the day; enter one or retry when the source has it',
  },
  dispute_not_found: { status: 404, message: 'no such dispute' },
  dispute_invalid: { status: 400, message: 'the dispute request is invalid' },
  dispute_already_open: { status: 409, message: 'the line already has a dispute that is not resolved' },
  dispute_transition_invalid: { status: 409, message: 'a {status} dispute cannot be {action}' },

  // Customs declarations (CEB)
  customs_field_missing: {
    status: 422,
    message:
      'the declaration needs {field}, which neither the order, the catalogue nor the configuration supplies',
  },
  customs_message_invalid: {
    status: 422,
    message: 'the generated customs message fails the official XSD; details names the element and the rule',
  },
  customs_xsd_unavailable: {
    status: 503,
    message: 'the customs XSD folder is missing or not the 2022-05 edition',
  },
  customs_declaration_not_found: { status: 404, message: 'no such customs declaration' },
  customs_not_held: { status: 409, message: 'the inventory list is not held; there is nothing to override' },
  // Operations: alerts, incidents, knowledge base, reports
  alert_not_found: { status: 404, message: 'no such alert' },
  alert_not_firing: { status: 409, message: 'the alert is resolved; there is nothing to acknowledge' },
  incident_not_found: { status: 404, message: 'no such incident' },
  incident_closed: { status: 409, message: 'the incident is closed' },
  incident_close_incomplete: {
    status: 400,
    message: 'closing an incident needs its cause and its fix',
  },
  report_period_invalid: { status: 400, message: 'the report date is not a valid YYYY-MM-DD day' },
  // Warehouses: inbound receipts (ASN)
  inbound_not_found: { status: 404, message: 'no such inbound receipt' },
  inbound_not_closable: {
    status: 409,
    message: 'only a receipt the warehouse has and has not received in full (or a failed one) can be closed',
  },
  inbound_conflict: {
    status: 409,
    message: 'an inbound receipt with this reference already exists at the warehouse with other lines',
  },
  unknown_warehouse: {
    status: 422,
    message: 'the warehouse is not a configured warehouse partner that takes inbound receipts',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
