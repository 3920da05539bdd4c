import { spawn } from 'node:child_process';
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
