/**
 * The schemas of a Pulse question and its answer (`as const`): the routes validate and
 * serialize with them, and queries.ts takes its Question and Answer types from them.
 */
import { pulseBatch } from '@parapet/core';
import type { FromSchema } from 'json-schema-to-ts';
import type { ReplyOf } from '../http/type-provider.js';
import { BUDGET_PERIODS } from './budget.js';
import { LEVELS, PERIODS } from './settings.js';

const nullableString = { type: ['string', 'null'] } as const;

/** A Pulse question (GET /api/v1/pulse/activity and activity.csv; queries.ts `ask`). */
export const questionQuery = {
  type: 'object',
  required: ['purpose', 'level', 'period', 'from', 'to'],
  additionalProperties: false,
  properties: {
    purpose: { type: 'string', maxLength: 64 },
    level: { enum: [...LEVELS] },
    period: { enum: [...PERIODS] },
    /** First and last day (YYYY-MM-DD, UTC), inclusive. Weeks are widened to whole ISO weeks. */
    from: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    to: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    /** The person (level person) or the manager whose reporting chain is the team (level team). */
    subject: { type: 'string', format: 'uuid' },
    /** Only this category. Required for category delegates. */
    category: { type: 'string', pattern: pulseBatch.CATEGORY_KEY },
  },
} as const;

/** An answer to a Pulse question (queries.ts `ask`): k-anonymous cells; figures only on released cells. */
export const answerResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['purpose', 'level', 'period', 'from', 'to', 'subject', 'category', 'k', 'settled_until', 'people', 'cells'],
  properties: {
    purpose: { type: 'string' }, level: { enum: [...LEVELS] }, period: { enum: [...PERIODS] }, from: { type: 'string' }, to: { type: 'string' },
    subject: nullableString, category: nullableString, k: { type: 'integer' }, settled_until: nullableString, people: { type: 'integer' },
    cells: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['period', 'category', 'released'],
        properties: {
          period: { type: 'string' }, category: { type: 'string' }, released: { type: 'boolean' },
          people: { type: 'number' }, active_s: { type: 'number' }, idle_s: { type: 'number' }, work_s: { type: 'number' }, omitted_days: { type: 'integer' },
          /** Paused time, on the viewer's own cells of the `paused` category only. */
          paused_s: { type: 'number' },
        },
      },
    },
    dp: {
      type: 'object',
      additionalProperties: false,
      required: ['mechanism', 'epsilon'],
      properties: {
        mechanism: { type: 'string', enum: ['laplace'] },
        epsilon: { type: 'number' },
        /** The viewer's ε budget after this answer (pulse/budget.ts DpBudget). */
        budget: {
          type: 'object',
          additionalProperties: false,
          required: ['limit', 'period', 'period_start', 'resets_at', 'spent', 'remaining', 'charged'],
          properties: { limit: { type: 'number' }, period: { enum: [...BUDGET_PERIODS] }, period_start: { type: 'string' }, resets_at: { type: 'string' }, spent: { type: 'number' }, remaining: { type: 'number' }, charged: { type: 'boolean' } },
        },
      },
    },
  },
} as const;

/** A question as the route passes it on (validated against {@link questionQuery}). */
export type Question = FromSchema<typeof questionQuery>;
/** An answer as the route sends it. */
export type Answer = ReplyOf<typeof answerResponse>;
