/**
 * Outgoing mail through an SMTP relay (nodemailer), for invitations. Optional: without
 * PARAPET_SMTP_URL nothing is mailed and the console shows the invitation link to pass on.
 *
 * Transport security is not negotiable: `smtp://` (default port 587) must upgrade with STARTTLS
 * (RFC 3207) before authenticating or sending (`requireTLS`: a relay that does not offer it is
 * refused, the message is not sent in clear); `smtps://` (default port 465) is TLS from the
 * first byte (RFC 8314). TLS 1.2 or newer, certificates verified against the system store, or
 * only against PARAPET_SMTP_CA_FILE when set (a private relay's CA).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Nodemailer from 'nodemailer';

/** SMTP settings from the environment (see mailConfigFromEnv). */
export interface MailConfig {
  /** `smtp://[user:pass@]host[:port]` (STARTTLS required) or `smtps://…` (implicit TLS). */
  url: string;
  /** The From address, e.g. `Parapet <parapet@example.com>`. */
  from: string;
  /** PEM file of the CA(s) to trust for the relay instead of the system store. */
  caFile: string | undefined;
}

/** A configuration problem, phrased for the operator (the server refuses to start). */
export class MailConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads PARAPET_SMTP_URL, PARAPET_SMTP_FROM and PARAPET_SMTP_CA_FILE; undefined when
 * PARAPET_SMTP_URL is unset. Throws MailConfigError for another scheme, a missing host or From.
 */
export function mailConfigFromEnv(env: NodeJS.ProcessEnv): MailConfig | undefined {
  const url = env.PARAPET_SMTP_URL || undefined;
  if (!url) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MailConfigError('PARAPET_SMTP_URL must be a URL like smtp://user:password@mail.example.com:587.');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new MailConfigError(`PARAPET_SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (TLS), got "${u.protocol}//".`);
  if (!u.hostname) throw new MailConfigError('PARAPET_SMTP_URL names no host.');
  const from = env.PARAPET_SMTP_FROM || undefined;
  if (!from) throw new MailConfigError('PARAPET_SMTP_URL is set but PARAPET_SMTP_FROM is not: set the From address, e.g. "Parapet <parapet@example.com>".');
  return { url, from, caFile: env.PARAPET_SMTP_CA_FILE || undefined };
}

/** One plain-text message. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends mail; `send` resolves with the relay's message id or throws what the relay answered. */
export interface Mailer {
  send(m: MailMessage): Promise<{ messageId: string }>;
  close(): void;
}

/** A mailer for `c`: one pooled SMTP connection. Throws MailConfigError if the CA file cannot be read. */
export function createMailer(c: MailConfig): Mailer {
  const u = new URL(c.url);
  const implicitTls = u.protocol === 'smtps:';
  let ca: string | undefined;
  if (c.caFile) {
    try {
      ca = readFileSync(c.caFile, 'utf8');
    } catch (e) {
      throw new MailConfigError(`Cannot read PARAPET_SMTP_CA_FILE ${c.caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
    }
  }
  // Loaded here rather than with this module: config.ts imports this file, and a server
  // without a relay never needs nodemailer (bench/startup).
  const nodemailer = createRequire(import.meta.url)('nodemailer') as typeof Nodemailer;
  const transport = nodemailer.createTransport({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : implicitTls ? 465 : 587,
    secure: implicitTls,
    requireTLS: !implicitTls,
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(ca ? { ca } : {}) },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    pool: true,
    maxConnections: 2,
  });
  return {
    async send(m) {
      const info = await transport.sendMail({ from: c.from, to: m.to, subject: m.subject, text: m.text });
      return { messageId: String(info.messageId) };
    },
    close: () => transport.close(),
  };
}
