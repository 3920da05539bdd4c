import { readFile } from 'node:fs/promises';
import { verifyReport, ReportVerifyError } from '@parapet/core';
import { CliError, type Command } from '../command.js';

async function read(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new CliError(`Cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
}

/**
 * `parapet report verify REPORT.json [--pdf REPORT.pdf] [--key KEY] [--log-key VKEY]`: offline
 * check of a Probe compliance report (see packages/core/src/probe/report.ts for the order of
 * checks). Exit 0 when everything holds; exit 1 with one sentence naming the first failure.
 */
export const reportVerify: Command = {
  path: ['report', 'verify'],
  summary: 'Verify a signed Probe report offline: envelope signature, PDF hash, audit checkpoint and inclusion proofs.',
  usage: 'parapet report verify REPORT.json [--pdf REPORT.pdf] [--key REPORT-KEY.pem] [--log-key VERIFIER-KEY]',
  options: { pdf: { type: 'string' }, key: { type: 'string' }, 'log-key': { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [file] = positionals;
    if (!file) throw new CliError('Usage: parapet report verify REPORT.json [--pdf REPORT.pdf] [--key KEY].');
    let env: unknown;
    try {
      env = JSON.parse((await read(file, 'report')).toString('utf8'));
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`The report ${file} is not valid JSON.`);
    }
    const pdf = values.pdf ? await read(values.pdf as string, 'PDF') : undefined;
    const publicKeyPem = values.key ? (await read(values.key as string, 'report key')).toString('utf8') : undefined;
    const logKey = values['log-key'] as string | undefined;
    let r;
    try {
      r = verifyReport(env, { pdf, publicKeyPem, logKey });
    } catch (e) {
      if (e instanceof ReportVerifyError) throw new CliError(e.message);
      throw e;
    }
    const p = r.statement.predicate;
    if (io.json) {
      io.out(JSON.stringify({ valid: true, key_id: r.keyId, key_pinned: r.keyPinned, pdf_checked: r.pdfChecked, scan: p.scan.id, verdict: p.verdict, checkpoint: r.checkpoint, audit_entries: r.entries }));
      return;
    }
    io.out(
      `Valid: scan ${p.scan.id} (${p.scope.id} v${p.scope.version}), verdict ${p.verdict.toUpperCase()}; signed by report key ${r.keyId}` +
        (r.keyPinned ? '' : ' (the key named in the report: pass --key to pin the published key)') +
        `; ${r.pdfChecked ? 'PDF matches' : 'PDF not checked'}; ${r.entries} audit entries proven in checkpoint ${r.checkpoint.origin} size ${r.checkpoint.size}.`,
    );
  },
};
