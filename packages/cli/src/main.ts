import { parseArgs } from 'node:util';
import { CliError, type Command } from './command.js';
import { commands } from './commands/index.js';
import { terminalIo } from './io.js';

function help(): string {
  const rows = commands.map((c) => `  ${c.usage.padEnd(72)} ${c.summary}`);
  return ['Usage: parapet <command> [options]', '', 'Commands:', ...rows, '', 'Every command accepts --json for machine-readable output.'].join('\n');
}

/** The commands of a group (`parapet scan`, `parapet devices token`), as a help text; undefined when no command starts with these words. */
export function groupHelp(words: string[]): string | undefined {
  const members = commands.filter((c) => c.path.length > words.length && words.every((w, i) => c.path[i] === w));
  if (!members.length) return undefined;
  const rows = members.map((c) => `  ${c.usage.padEnd(72)} ${c.summary}`);
  return [`Usage: parapet ${words.join(' ')} <command> [options]`, '', 'Commands:', ...rows, '', `"parapet ${words.join(' ')} <command> --help" explains one.`].join('\n');
}

/** Longest command path that prefixes argv. */
function find(argv: string[]): Command | undefined {
  return commands
    .filter((c) => c.path.every((w, i) => argv[i] === w))
    .sort((a, b) => b.path.length - a.path.length)[0];
}

/** Runs the CLI; returns the exit code. Never throws: errors become one plain sentence. */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(help() + '\n');
    return argv.length === 0 ? 2 : 0;
  }
  const cmd = find(argv);
  if (!cmd) {
    // A group's name alone, or with --help: list its commands.
    const words = argv.filter((a) => !a.startsWith('-'));
    const helpAsked = argv.some((a) => a === '--help' || a === '-h');
    for (let n = words.length; n >= 1; n--) {
      const g = groupHelp(words.slice(0, n));
      if (g && (helpAsked || n === words.length)) {
        process.stdout.write(g + '\n');
        return helpAsked ? 0 : 2;
      }
    }
    process.stderr.write(`Unknown command "${argv.slice(0, 2).join(' ')}"; run "parapet --help" for the list.\n`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.slice(cmd.path.length),
      options: { ...(cmd.options ?? {}), json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: cmd.positionals ?? false,
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message.replace(/\.$/, '')}; usage: ${cmd.usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${cmd.usage}\n\n${cmd.summary}\n${cmd.details ? `\n${cmd.details}\n` : ''}`);
    return 0;
  }
  const io = terminalIo(Boolean(parsed.values.json));
  try {
    const code = await cmd.run({ values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals, io });
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    const msg = e instanceof CliError ? e.message : `${cmd.path.join(' ')} failed: ${(e as Error).message}`;
    process.stderr.write((/[.!?]$/.test(msg) ? msg : msg + '.') + '\n');
    return e instanceof CliError ? e.exitCode : 1;
  }
}
