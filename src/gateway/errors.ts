/**
 * One place maps error kinds to HTTP statuses and writes
 * `{"error":{"code","message","details","requestId"}}`.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, renderMessage, WaygateError, type ErrorCode } from '../domain/index.js';
import { fieldPath, type LocatedIssue } from '../domain/validation.js';

/** Answers with a catalogue code: the status comes from the catalogue, never from the caller. */
export function sendError(reply: FastifyReply, code: ErrorCode, message?: string, details: unknown = null) {
  const spec = ERROR_CATALOGUE[code];
  reply.request.errorCode = code;
  return reply
    .code(spec.status)
    .type('application/json')
    .send({
      error: {
        code,
        message: message ?? renderMessage(spec.message, details),
        details,
        requestId: String(reply.request.id),
      },
    });
}

interface ValidationIssue extends LocatedIssue {
  message?: string;
}

export function errorHandler(
  err: FastifyError | WaygateError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
) {
  if (err instanceof WaygateError) {
    return sendError(reply, err.code, err.message, err.details);
  }
  const fe = err as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (fe.validation) {
    const part = fe.validationContext ?? 'body';
    const details = fe.validation.map((v) => ({
      field: fieldPath(v) || '/',
      message: v.params?.additionalProperty ? `is not a known field` : (v.message ?? 'is invalid'),
      ...(Array.isArray(v.params?.allowedValues) && v.params.allowedValues.length <= 20
        ? { allowed: v.params.allowedValues }
        : {}),
    }));
    const first = details[0];
    const message = first ? `${part} ${first.field} ${first.message}` : `${part} is invalid`;
    return sendError(reply, 'validation_failed', message, details);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendError(reply, 'payload_too_large', 'request body is larger than the limit', {
        limitBytes: req.routeOptions.bodyLimit,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendError(reply, 'unsupported_media_type', 'send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendError(reply, 'invalid_json', 'the request body is empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendError(reply, 'invalid_request', 'content-length does not match the body');
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return sendError(reply, 'invalid_request', fe.message, { status: fe.statusCode });
  }
  req.log.error({ err: { message: err.message, code: fe.code, stack: err.stack } }, 'unhandled error');
  return sendError(reply, 'internal_error', 'internal error; the request was not completed');
}
