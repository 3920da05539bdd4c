/** One CLI command. `path` is its words (`['db', 'migrate']`); options use node:util parseArgs. */
export interface Command {
  path: string[];
  summary: string;
  usage: string;
  /** More help for `--help`: environment variables, defaults, rules (plain lines). */
  details?: string;
  options?: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  /** Allow positional arguments after the command words. */
  positionals?: boolean;
  run(args: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[]; io: Io }): Promise<number | void>;
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Asks a question on the terminal; `secret` hides the answer. */
  prompt(question: string, secret?: boolean): Promise<string>;
  /** `--json` given: print machine-readable output only. */
  json: boolean;
}

/** An error whose message is the one plain sentence the user sees; exit code 1 (or given). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
