import { createInterface } from 'node:readline';
import type { Io } from './command.js';

export function terminalIo(json: boolean): Io {
  return {
    json,
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(l + '\n'),
    prompt(question, secret = false) {
      if (!process.stdin.isTTY) return Promise.reject(new Error(`${question.replace(/[:?]\s*$/, '')} is required (no terminal to ask on)`));
      return new Promise((resolve) => {
        const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
        if (secret) {
          // Echo nothing while a secret is typed.
          (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
            if (s.startsWith(question)) process.stdout.write(question);
          };
        }
        rl.question(question, (a) => {
          rl.close();
          if (secret) process.stdout.write('\n');
          resolve(a);
        });
      });
    },
  };
}
