// parapet-agent: the Pulse commands live in ./cli.ts; enroll, status and heartbeat in
// @parapet/device-client (shared with parapet-worker).
import { readFileSync } from 'node:fs';
import { helpText, runDeviceBin } from '@parapet/device-client/device-cli';
import { AGENT_COMMANDS, AGENT_HELP, agentCli, pulseStatus } from './cli.js';

/** Set by scripts/bundle.ts (esbuild `define`): the installed bundle has no package.json beside it. */
declare const PARAPET_AGENT_VERSION: string | undefined;
const version =
  typeof PARAPET_AGENT_VERSION === 'string'
    ? PARAPET_AGENT_VERSION
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const argv = process.argv.slice(2);
const err = (l: string) => process.stderr.write(`parapet-agent: ${l}\n`);
const out = (l: string) => process.stdout.write(l + '\n');

// `--help` after any command (`run --help`, `enroll --help`) prints the whole help, device and Pulse commands.
const wantsHelp = argv[0] === undefined || argv[0] === 'help' || argv.includes('--help') || argv.includes('-h');
if (wantsHelp) {
  out(helpText('agent') + '\n' + AGENT_HELP);
  process.exitCode = argv[0] === undefined ? 2 : 0;
} else if (argv[0] === '--version' || argv[0] === 'version') {
  out(version);
} else if (argv[0] !== undefined && AGENT_COMMANDS.includes(argv[0])) {
  const stopSignal = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  process.exitCode = await agentCli(argv, { out, err, stopSignal });
  // Nothing else should hold the event loop after a command; keep a stuck handle from hanging the CLI.
  if (argv[0] !== 'run' && argv[0] !== 'page') process.exit(process.exitCode);
} else {
  await runDeviceBin('agent', { version });
  if (argv[0] === 'status' && process.exitCode === 0) await pulseStatus(argv.slice(1), { out, err });
}
