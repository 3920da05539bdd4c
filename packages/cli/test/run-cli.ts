import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { SESSION_COOKIE } from '@parapet/server/auth/sessions';
import { fileURLToPath } from 'node:url';

/** The real `parapet` entry point, as npx runs it. */
export const BIN = fileURLToPath(new URL('../bin/parapet.js', import.meta.url));

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `parapet ARGS` in a child process with extra environment; never rejects. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

/** Asserts a CLI error is one plain sentence (one line), as every refusal must be. */
export function assertOneSentence(err: string): void {
  assert.equal(err.trim().split('\n').length, 1, err);
}

/** The environment that makes `parapet` act as the signed-in user of `client` on the test server `s`. */
export function sessionEnv(s: { dataDir: string }, client: { cookies: Map<string, string> }): Record<string, string> {
  return { PARAPET_DATA_DIR: s.dataDir, PARAPET_SESSION: client.cookies.get(SESSION_COOKIE)!, PARAPET_SERVER_URL: '' };
}
