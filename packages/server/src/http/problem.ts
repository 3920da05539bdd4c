/**
 * RFC 9457 problem details. Every error the API returns is one of these, with a stable
 * machine-readable `code` (also the last segment of `type`) and a human sentence.
 */
import type { ProblemCode } from './problem-codes.js';

export { PROBLEM_CODES, isProblemCode, problemStatuses, type ProblemCode } from './problem-codes.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://parapet.dev/problems/';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  request_id?: string;
  [ext: string]: unknown;
}

/** An API error: `status` (HTTP), a catalogued `code` (problem-codes.ts), a sentence for people. */
export class ProblemError extends Error {
  override name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 410: 'Gone', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  423: 'Locked', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function problemBody(status: number, code: string, detail: string, extra: Record<string, unknown> = {}): ProblemBody {
  return { type: PROBLEM_TYPE_BASE + code, title: TITLES[status] ?? 'Error', status, code, detail, ...extra };
}

/** JSON Schema of a problem response, for route schemas and the OpenAPI document. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    request_id: { type: 'string' },
  },
  additionalProperties: true,
} as const;
