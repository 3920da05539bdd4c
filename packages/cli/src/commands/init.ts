import { readFile } from 'node:fs/promises';
import { createApiClient, type RequestBody } from '@parapet/api-client';
import { fetchOver, PinMismatchError } from '@parapet/device-client/transport';
import { createOrganisation, dataPaths, readServerInfo, ProblemError, slugify } from '@parapet/server';
import { CliError, type Command } from '../command.js';
import { cliConfig, describeTarget, withDatabase } from '../context.js';
import { FileKeyProvider } from '@parapet/server/crypto/keyfile';

async function readPasswordFile(path: string): Promise<string> {
  try {
    // One trailing newline is how editors and `echo` end files; it is not part of the password.
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (e) {
    throw new CliError(`Cannot read the password file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
}

/**
 * POST to a running embedded server, trusting exactly the key it recorded in the data dir:
 * the pin is checked on the TLS connection before the bootstrap token or the password is sent.
 */
async function postToServer(url: string, pin: string, token: string, body: RequestBody<'/api/v1/bootstrap/organisations', 'post'>): Promise<{ status: number; json: Record<string, unknown> }> {
  try {
    const api = createApiClient({ baseUrl: url, fetch: fetchOver({ pin }) });
    const r = await api.POST('/api/v1/bootstrap/organisations', { body, headers: { authorization: `Bearer ${token}` } });
    return { status: r.response.status, json: (r.data ?? r.error ?? {}) as Record<string, unknown> };
  } catch (e) {
    if (e instanceof PinMismatchError) throw new CliError('The server on the recorded port is not the one that wrote the data dir (its key does not match the recorded pin); nothing was sent to it.');
    throw e;
  }
}

export const init: Command = {
  path: ['init'],
  summary: 'Create an organisation and its first admin.',
  usage: 'parapet init --org NAME --email EMAIL --password-file FILE [--slug SLUG] [--json]',
  options: { org: { type: 'string' }, email: { type: 'string' }, 'password-file': { type: 'string' }, slug: { type: 'string' }, name: { type: 'string' } },
  async run({ values, io }) {
    const org = (values.org as string | undefined) ?? (await io.prompt('Organisation name: '));
    const email = (values.email as string | undefined) ?? (await io.prompt('Admin email: '));
    const password = values['password-file'] ? await readPasswordFile(values['password-file'] as string) : await io.prompt('Admin password (12+ characters): ', true);
    const slug = (values.slug as string | undefined) ?? slugify(org);
    const config = cliConfig();

    let result: { tenantId: string; slug: string; adminId: string };
    const running = config.databaseUrl ? undefined : await readServerInfo(config.dataDir);
    if (running) {
      // PGlite is single-process: go through the running server's bootstrap API.
      const token = (await readFile(dataPaths(config.dataDir).bootstrapToken, 'utf8')).trim();
      const r = await postToServer(running.url, running.spkiSha256, token, { name: org, slug, admin_email: email, admin_password: password, ...(values.name ? { admin_name: values.name as string } : {}) });
      if (r.status !== 201) throw new CliError(String(r.json.detail ?? `The server answered ${r.status}.`));
      result = { tenantId: String(r.json.tenant_id), slug: String(r.json.slug), adminId: String(r.json.admin_id) };
    } else {
      try {
        const keys = await FileKeyProvider.open(dataPaths(config.dataDir).keyFile);
        const r = await withDatabase(config, async (db) => {
          try {
            return await createOrganisation(db, { name: org, slug, adminEmail: email, adminPassword: password, adminName: values.name as string | undefined }, keys);
          } finally {
            keys.close();
          }
        });
        result = { tenantId: r.tenant.id, slug: r.tenant.slug, adminId: r.adminId };
      } catch (e) {
        if (e instanceof ProblemError) throw new CliError(e.detail);
        throw e;
      }
    }
    if (io.json) io.out(JSON.stringify({ tenant_id: result.tenantId, slug: result.slug, admin_id: result.adminId }));
    else {
      io.out(`Created organisation "${org}" (slug ${result.slug}, id ${result.tenantId}) with admin ${email.toLowerCase()}. Sign in at ${running?.url ?? `https://localhost:${config.port}`}.`);
      io.out(running ? `Through the server running on the data dir ${config.dataDir} (${running.engine}).` : describeTarget(config));
    }
  },
};
