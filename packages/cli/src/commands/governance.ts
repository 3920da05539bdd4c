/**
 * Governance from the terminal:
 *
 * - `parapet reviews list | open | show | decide | sign-off` (CORE-REVIEW) and
 *   `parapet erasure request | list` (CORE-PRIVACY) go through the API as the signed-in person
 *   (api-client.ts), so the server's rules apply unchanged: named reviewers only, step-up MFA for
 *   opening, deciding and erasing, the last admin stays.
 * - `parapet support staff add | list | disable` (CORE-SUPPORT) is the deployment operator's:
 *   vendor support staff belong to no organisation, so they are managed on the database directly
 *   (DATABASE_URL, or the embedded database of PARAPET_DATA_DIR with the server stopped).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { addSupportStaff, disableSupportStaff, listSupportStaff } from '@parapet/server/governance/support';
import { CliError, type Command } from '../command.js';
import { cliConfig, withDatabase } from '../context.js';
import { API_ENV_HELP, API_OPTIONS, API_USAGE, connect, failTyped } from '../api-client.js';

interface Review {
  id: string;
  title: string;
  status: 'open' | 'signed_off';
  overdue: boolean;
  due_at: string;
  reviewers: string[];
  counts: { total: number; pending: number; confirmed: number; revoked: number };
}
interface Item {
  id: number;
  kind: string;
  label: string;
  decision: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
function reviewId(positionals: string[], usage: string, extra = 0): string {
  const [id] = positionals;
  if (!id || positionals.length !== 1 + extra) throw new CliError(`Usage: ${usage}.`);
  if (!UUID.test(id)) throw new CliError(`${id} is not a review id (a UUID, as "parapet reviews list" shows).`);
  return id;
}
const reviewLine = (r: Review) =>
  `${r.id}  ${r.status === 'signed_off' ? 'signed off' : r.overdue ? 'OVERDUE' : 'open'}  ${r.counts.total - r.counts.pending}/${r.counts.total} decided, ${r.counts.revoked} revoked  due ${r.due_at.slice(0, 10)}  ${r.title}`;

export const reviewsList: Command = {
  path: ['reviews', 'list'],
  summary: 'List access reviews, newest first (admin, security lead, auditor).',
  usage: `parapet reviews list [--json] ${API_USAGE}`,
  details: API_ENV_HELP,
  options: { ...API_OPTIONS },
  async run({ values, io }) {
    const api = await connect(values, io);
    const r = await api.client.GET('/api/v1/governance/reviews');
    if (!r.data) failTyped(r);
    const reviews = (r.data as unknown as { reviews: Review[] }).reviews;
    if (io.json) return io.out(JSON.stringify(reviews));
    if (!reviews.length) return io.out('No access reviews.');
    for (const x of reviews) io.out(reviewLine(x));
  },
};

export const reviewsOpen: Command = {
  path: ['reviews', 'open'],
  summary: 'Open an access review now (admin, fresh MFA): every role, delegation, token, key, grant and device becomes a line to confirm or revoke.',
  usage: `parapet reviews open [--title TITLE] [--reviewer USER_ID ...] [--due YYYY-MM-DD] ${API_USAGE}`,
  details: `Reviewers default to the organisation's admins.\n${API_ENV_HELP}`,
  options: { ...API_OPTIONS, title: { type: 'string' }, reviewer: { type: 'string', multiple: true }, due: { type: 'string' } },
  async run({ values, io }) {
    const now = new Date();
    const title = (values.title as string | undefined) ?? `Access review Q${Math.floor(now.getUTCMonth() / 3) + 1} ${now.getUTCFullYear()}`;
    const body: { title: string; reviewers?: string[]; due_at?: string } = { title };
    if (values.reviewer) body.reviewers = values.reviewer as string[];
    if (typeof values.due === 'string') {
      const d = new Date(`${values.due}T00:00:00Z`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(values.due) || Number.isNaN(d.getTime())) throw new CliError(`--due ${values.due} is not a date (YYYY-MM-DD).`);
      body.due_at = d.toISOString();
    }
    const api = await connect(values, io);
    const r = await api.client.POST('/api/v1/governance/reviews', { body });
    if (!r.data) failTyped(r);
    const review = r.data as unknown as Review;
    if (io.json) return io.out(JSON.stringify(review));
    io.out(`Opened "${review.title}" (${review.id}) with ${review.counts.total} lines, due ${review.due_at.slice(0, 10)}.`);
  },
};

export const reviewsShow: Command = {
  path: ['reviews', 'show'],
  summary: 'Show one access review with its numbered lines.',
  usage: `parapet reviews show REVIEW_ID [--json] ${API_USAGE}`,
  details: API_ENV_HELP,
  options: { ...API_OPTIONS },
  positionals: true,
  async run({ values, positionals, io }) {
    const id = reviewId(positionals, 'parapet reviews show REVIEW_ID');
    const api = await connect(values, io);
    const r = await api.client.GET('/api/v1/governance/reviews/{id}', { params: { path: { id } } });
    if (!r.data) failTyped(r);
    const { review, items } = r.data as unknown as { review: Review; items: Item[] };
    if (io.json) return io.out(JSON.stringify({ review, items }));
    io.out(reviewLine(review));
    for (const i of items) io.out(`${String(i.id).padStart(5)}  ${i.decision.padEnd(9)}  ${i.kind.padEnd(14)}  ${i.label}`);
  },
};

export const reviewsDecide: Command = {
  path: ['reviews', 'decide'],
  summary: 'Confirm or revoke one line of a review (a named reviewer, fresh MFA); a revocation takes effect at once.',
  usage: `parapet reviews decide REVIEW_ID LINE confirm|revoke [--note TEXT] ${API_USAGE}`,
  details: API_ENV_HELP,
  options: { ...API_OPTIONS, note: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const usage = 'parapet reviews decide REVIEW_ID LINE confirm|revoke';
    const id = reviewId(positionals, usage, 2);
    const line = Number(positionals[1]);
    if (!Number.isInteger(line) || line < 1) throw new CliError(`${positionals[1]} is not a line number (see "parapet reviews show ${id}").`);
    const word = positionals[2];
    if (word !== 'confirm' && word !== 'revoke') throw new CliError(`The decision is "confirm" or "revoke", not "${word}".`);
    const api = await connect(values, io);
    const r = await api.client.POST('/api/v1/governance/reviews/{id}/items/{item}/decision', { params: { path: { id, item: line } }, body: { decision: word === 'confirm' ? 'confirmed' : 'revoked', ...(typeof values.note === 'string' ? { note: values.note } : {}) } });
    if (!r.data) failTyped(r);
    const item = r.data as unknown as Item;
    if (io.json) return io.out(JSON.stringify(item));
    io.out(`Line ${item.id} ${item.decision}: ${item.label}.`);
  },
};

export const reviewsSignOff: Command = {
  path: ['reviews', 'sign-off'],
  summary: 'Sign off a fully decided review (a named reviewer, fresh MFA) and save its signed evidence (DSSE).',
  usage: `parapet reviews sign-off REVIEW_ID [--out FILE] ${API_USAGE}`,
  details: `--out FILE (default access-review-ID.dsse.json) receives the DSSE envelope, signed with the organisation's audit log key (GET /api/v1/audit/key).\n${API_ENV_HELP}`,
  options: { ...API_OPTIONS, out: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const id = reviewId(positionals, 'parapet reviews sign-off REVIEW_ID');
    const api = await connect(values, io);
    const r = await api.client.POST('/api/v1/governance/reviews/{id}/sign-off', { params: { path: { id } } });
    if (!r.data) failTyped(r);
    const file = resolve(typeof values.out === 'string' ? values.out : `access-review-${id}.dsse.json`);
    try {
      await writeFile(file, JSON.stringify(r.data.envelope, null, 2) + '\n', { mode: 0o644 });
    } catch (e) {
      throw new CliError(`The review is signed off, but ${file} could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); "GET /api/v1/governance/reviews/${id}/evidence" serves it again.`);
    }
    if (io.json) return io.out(JSON.stringify({ id, key_id: r.data.key_id, file }));
    io.out(`Signed off ${id}; the signed evidence is in ${file} (key ${String(r.data.key_id)}).`);
  },
};

export const erasureRequest: Command = {
  path: ['erasure', 'request'],
  summary: "Erase a person (admin, fresh MFA): their data, devices, sessions, factors and identity go; their audit entries stay verifiable with personal fields shredded.",
  usage: `parapet erasure request EMAIL --reason TEXT [--yes] ${API_USAGE}`,
  details: `This cannot be undone. Without --yes the CLI asks for the e-mail address again.\n${API_ENV_HELP}`,
  options: { ...API_OPTIONS, reason: { type: 'string' }, yes: { type: 'boolean' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [who] = positionals;
    if (!who || positionals.length > 1) throw new CliError('Usage: parapet erasure request EMAIL --reason TEXT.');
    const reason = typeof values.reason === 'string' ? values.reason.trim() : '';
    if (!reason) throw new CliError('Give the reason for the erasure with --reason (it is kept as evidence).');
    const api = await connect(values, io);
    const people = await api.client.GET('/api/v1/people');
    if (!people.data) failTyped(people);
    const p = (people.data as unknown as { people: Array<{ id: string; email: string }> }).people.find((x) => x.email === who.toLowerCase() || x.id === who);
    if (!p) throw new CliError(`Nobody with the email ${who} in this organisation.`);
    if (!values.yes) {
      const again = (await io.prompt(`This erases ${p.email} for good. Type the address again to go on: `)).trim().toLowerCase();
      if (again !== p.email) throw new CliError('The address did not match; nothing was erased.');
    }
    const r = await api.client.POST('/api/v1/governance/erasures', { body: { user_id: p.id, reason } });
    if (!r.data) failTyped(r);
    if (io.json) return io.out(JSON.stringify(r.data));
    const body = r.data as unknown as { request_id: string; deleted: Record<string, number>; subject_key_destroyed: boolean };
    const rows = Object.entries(body.deleted).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(', ') || 'no other rows';
    io.out(`Erased ${p.email} (request ${body.request_id}): identity removed; deleted ${rows}; audit subject key ${body.subject_key_destroyed ? 'destroyed' : 'not held (no personal fields in the audit log)'}.`);
  },
};

export const erasureList: Command = {
  path: ['erasure', 'list'],
  summary: 'List erasure requests and what each removed (admin, auditor).',
  usage: `parapet erasure list [--json] ${API_USAGE}`,
  details: API_ENV_HELP,
  options: { ...API_OPTIONS },
  async run({ values, io }) {
    const api = await connect(values, io);
    const r = await api.client.GET('/api/v1/governance/erasures');
    if (!r.data) failTyped(r);
    const list = (r.data as unknown as { erasures: Array<{ id: string; subject_id: string; reason: string; requested_at: string; completed_at: string | null }> }).erasures;
    if (io.json) return io.out(JSON.stringify(list));
    if (!list.length) return io.out('No erasure requests.');
    for (const e of list) io.out(`${e.id}  ${e.requested_at.slice(0, 19)}Z  subject ${e.subject_id}  ${e.completed_at ? 'completed' : 'pending'}  ${e.reason}`);
  },
};

const STAFF_DETAILS = 'Vendor support staff belong to no organisation; this works on the database directly (DATABASE_URL, or the\nembedded database of PARAPET_DATA_DIR while no server uses it).';

export const supportStaffAdd: Command = {
  path: ['support', 'staff', 'add'],
  summary: 'Add a vendor support member (or renew their enrolment) and print a one-time code to register a security key.',
  usage: 'parapet support staff add EMAIL [--name NAME] [--json]',
  details: `The member registers a WebAuthn security key with the code within 24 hours (POST /api/v1/support/enrol/options\nand /verify); there is no password. They can then sign in to an organisation only under a grant its admin opened.\n${STAFF_DETAILS}`,
  options: { name: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [email] = positionals;
    if (!email || positionals.length > 1) throw new CliError('Usage: parapet support staff add EMAIL.');
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new CliError(`${email} is not an e-mail address.`);
    const r = await withDatabase(cliConfig(), (db) => addSupportStaff(db, email, typeof values.name === 'string' ? values.name : '')).catch(rethrow);
    if (io.json) return io.out(JSON.stringify({ staff_id: r.staffId, email: r.email, enrolment_code: r.code, expires_at: r.expiresAt.toISOString() }));
    io.out(`Support member ${r.email} (${r.staffId}). One-time enrolment code, valid until ${r.expiresAt.toISOString()}: ${r.code}`);
  },
};

export const supportStaffList: Command = {
  path: ['support', 'staff', 'list'],
  summary: 'List vendor support members and how many security keys each has.',
  usage: 'parapet support staff list [--json]',
  details: STAFF_DETAILS,
  async run({ io }) {
    const list = await withDatabase(cliConfig(), (db) => listSupportStaff(db)).catch(rethrow);
    if (io.json) return io.out(JSON.stringify(list));
    if (!list.length) return io.out('No support members.');
    for (const s of list) io.out(`${s.email.padEnd(36)} ${String(s.keys).padStart(2)} key(s)  ${s.disabled ? 'disabled' : 'active'}`);
  },
};

export const supportStaffDisable: Command = {
  path: ['support', 'staff', 'disable'],
  summary: 'Disable a vendor support member: no new sign-in, and their open support sessions end at the next request.',
  usage: 'parapet support staff disable EMAIL',
  details: STAFF_DETAILS,
  positionals: true,
  async run({ positionals, io }) {
    const [email] = positionals;
    if (!email || positionals.length > 1) throw new CliError('Usage: parapet support staff disable EMAIL.');
    await withDatabase(cliConfig(), (db) => disableSupportStaff(db, email)).catch(rethrow);
    io.out(`Support member ${email.toLowerCase()} is disabled.`);
  },
};

/** A server-side refusal (ProblemError) becomes the CLI's one sentence. */
function rethrow(e: unknown): never {
  if (e instanceof CliError) throw e;
  const p = e as { status?: number; code?: string; detail?: string };
  if (typeof p.status === 'number' && p.status < 500 && p.detail) throw new CliError(`${p.detail} (${p.code}).`);
  throw e;
}
