/**
 * The on-device scrubber (PULSE-AGENT, "scrub and categorise on the device"). A raw window
 * title goes in; out come a scrubbed title (kept on the device, used for categorisation) and
 * at most one registrable domain (the only part of a title that may be uploaded).
 *
 * Replaced, in this order, each by a fixed placeholder:
 *  - URLs (`scheme://…`, `www.…`) → their registrable domain per the Public Suffix List
 *    (ICANN section, via `tldts`); `file:` URLs and URLs without one (IP addresses, `localhost`)
 *    → `[url]`;
 *  - e-mail addresses, and `user@host` as shells and ssh show it → `[email]`;
 *  - file paths (`/a/b`, `~/a`, `./a`, `C:\a`, `\\server\share`) → `[path]`;
 *  - IBANs (two letters, two check digits, 11–30 letters or digits, spaces allowed) → `[iban]`;
 *  - payment-card-like numbers (13–19 digits, spaces or dashes between groups, Luhn-valid) → `[card]`;
 *  - phone numbers (`+` and 7–15 digits, or national forms such as `(030) 1234 5678`,
 *    `555-123-4567`, `0151 23456789`) → `[phone]`;
 *  - any remaining run of {@link LONG_DIGITS} or more digits → `[number]`;
 *  - configured names (whole words, case-insensitive, Unicode-aware; the spaces inside a
 *    name also match `_`, `.` and `-`, as in file names) → `[name]`.
 * Control characters are dropped and whitespace collapsed; titles are cut to
 * {@link MAX_TITLE} characters before scrubbing so that rule regexes see bounded input.
 */
import { getDomain } from 'tldts';

export const MAX_TITLE = 512;
/** Digit runs at least this long are replaced (ticket numbers like `#4711` stay). */
export const LONG_DIGITS = 6;

export interface Scrubbed {
  /** The title with every finding replaced by its placeholder. Never leaves the device. */
  title: string;
  /** Registrable domain of the first URL in the title, lower-case; null when there is none. */
  domain: string | null;
}

export interface ScrubOptions {
  /** Names to replace (customers, colleagues); matched as whole words, case-insensitively. */
  names?: readonly string[];
}

const URL_RE = /\b(?:[a-z][a-z0-9+.-]{1,15}:\/\/|www\.)[^\s<>"`]+/giu;
const EMAIL_RE = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*/gu;
const IBAN_RE = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;
// A path is a run of at least two segments after a root, home or drive, or any UNC path.
const PATH_RE = /(?:~|\.{1,2})?\/(?:[^\s/\\:*?"<>|]+\/)+[^\s/\\:*?"<>|]*|~\/[^\s]*|(?<![\p{L}\p{N}])[a-z]:\\[^\s"<>|]*|\\\\[^\s\\]+\\[^\s"<>|]*/giu;
const CARD_RE = /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/g;
const PHONE_RE = /(?<![\p{L}\p{N}+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,5}\)[ .-]?)?\d(?:[ .-]?\d){5,13}|\(\d{2,5}\)[ .-]?\d(?:[ .-]?\d){4,10}|\d{3}[.-]\d{3}[.-]\d{4}|0\d{2,4}[ /-]\d(?:[ -]?\d){4,10})(?!\d)/gu;
const DIGITS_RE = new RegExp(`\\d{${LONG_DIGITS},}`, 'g');
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/** Luhn check over the digits of `s`. */
export function luhn(s: string): boolean {
  const d = s.replace(/\D/g, '');
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return d.length > 0 && sum % 10 === 0;
}

/** The registrable domain of a URL (ICANN suffixes only), or null for IPs, `localhost`, `file:`. */
export function registrableDomain(url: string): string | null {
  if (/^file:/i.test(url)) return null;
  const d = getDomain(/^www\./i.test(url) ? `http://${url}` : url, { allowPrivateDomains: false });
  return d && /^[a-z0-9.-]+$/.test(d) && d.includes('.') ? d.toLowerCase() : null;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Compiles the name list once; names shorter than 2 characters are ignored. */
export function nameMatcher(names: readonly string[]): RegExp | null {
  const list = [...new Set(names.map((n) => n.trim()).filter((n) => n.length >= 2))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return null;
  const alt = list.map((n) => n.split(/\s+/).map(escapeRe).join('[\\s_.-]+')).join('|');
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alt})(?![\\p{L}\\p{N}])`, 'giu');
}

/** A scrubber with its name list compiled; see the module comment for what it replaces. */
export function makeScrubber(o: ScrubOptions = {}): (title: string) => Scrubbed {
  const names = nameMatcher(o.names ?? []);
  return (raw: string) => {
    let domain: string | null = null;
    let t = raw.slice(0, MAX_TITLE).replace(CONTROL_RE, ' ');
    t = t.replace(URL_RE, (u) => {
      // Trailing punctuation belongs to the sentence, not the URL.
      const url = u.replace(/[),.;:!?\]}]+$/, '');
      const rest = u.slice(url.length);
      const d = registrableDomain(url);
      domain ??= d;
      return (d ?? '[url]') + rest;
    });
    t = t.replace(EMAIL_RE, '[email]');
    t = t.replace(PATH_RE, '[path]');
    t = t.replace(IBAN_RE, '[iban]');
    t = t.replace(CARD_RE, (m) => (luhn(m) ? '[card]' : m));
    t = t.replace(PHONE_RE, '[phone]');
    t = t.replace(DIGITS_RE, '[number]');
    if (names) t = t.replace(names, '[name]');
    t = t.replace(/\s+/g, ' ').trim();
    return { title: t, domain };
  };
}

/** Scrubs one title with no name list. */
export const scrubTitle = (title: string, o: ScrubOptions = {}): Scrubbed => makeScrubber(o)(title);
