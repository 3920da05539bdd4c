/**
 * `parapet-agent`'s Pulse commands (PULSE-AGENT, PULSE-CONTROL, PULSE-UPLOAD); enroll, status
 * and heartbeat come from @parapet/device-client. Every failure is one plain sentence on
 * stderr and a non-zero exit (1; 2 for wrong usage).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DeviceClient, loadState, openEnrolledStore, explain as explainDevice } from '@parapet/device-client';
import { defaultStateDir } from '@parapet/device-client/enroll-command';
import { openCollector, type Env } from './collector/detect.js';
import { checkTimeZone, ControlError, describeHours, parseDays, parseDuration, parseSpan, readControls } from './control.js';
import { watchLogind } from './collector/logind.js';
import type { LockSource } from './collector/types.js';
import { startLocalPage } from './page.js';
import { startTray, type Tray } from './tray.js';
import { currentPolicy, DEFAULT_POLICY, localRules, readRulesFile } from './policy.js';
import { makeClassifier, Recorder } from './recorder.js';
import { RuleError, type Rule } from './scrub/categorise.js';
import { showData, showText, startOfLocalDay } from './show.js';
import { Store, StoreError } from './store.js';
import { acquireRunLock, RunLockError } from './run-lock.js';
import { reconcileOwner } from './owner.js';
import { HELD_SETTING, holdSentence, PolicyError, Uploader, type UploadHold } from './upload.js';

export interface AgentIo {
  out(line: string): void;
  err(line: string): void;
  /** Lines of standard input (rules test). */
  stdin?: AsyncIterable<string>;
  env?: Env;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM) — `run` ends then. */
  stopSignal?: Promise<void>;
}

export const AGENT_COMMANDS = ['run', 'upload', 'rules', 'pause', 'resume', 'exclude', 'include', 'hours', 'show', 'page', 'category'];

export const AGENT_HELP = [
  '',
  'Pulse (recording is local first; see exactly what is kept and sent with show):',
  '  parapet-agent run [--idle-timeout SECONDS] [--no-upload] [--page] [--no-tray] [--state-dir DIR]',
  '  parapet-agent upload          (send everything waiting now, then exit; run does this on its own)',
  '  parapet-agent rules test [--rules FILE] < titles.txt     (lines: app<TAB>title; prints JSON lines)',
  '  parapet-agent pause [--for 1h | --until-resumed]',
  '  parapet-agent resume',
  '  parapet-agent exclude APP      |  parapet-agent include APP',
  '  parapet-agent hours set mon-fri 09:00-17:30 --tz Europe/Berlin  |  hours clear  |  hours',
  '  parapet-agent category add KEY [--app APP] [--title REGEX] [--domain REGEX]  |  category list  |  category clear',
  '  parapet-agent show [--today] [--pending] [--json]',
  '  parapet-agent page [--port N]  (the same as show, with a day timeline, on 127.0.0.1 with a session token)',
  '',
  'Paused, excluded and off-hours time is recorded only as "paused", with no app or title.',
  'Your own categories (category add) stay on this device. Set PARAPET_AGENT_KEY_STORE=file to keep',
  'the local store key in an encrypted file instead of the OS credential store.',
].join('\n');

class UsageError extends Error {
  override name = 'UsageError';
}

function stateDir(v: { 'state-dir'?: string | undefined }): string {
  return v['state-dir'] ?? defaultStateDir('agent');
}

/**
 * Opens the local store. Every command opens it this way, so a machine enrolled again for
 * another person drops the previous person's intervals (owner.ts) before anything is shown or
 * sent; `log` gets the one sentence that says so.
 */
async function openStore(dir: string, env: Env, log?: (line: string) => void): Promise<Store> {
  const enrolled = existsSync(join(dir, 'state.json')) ? await loadState(join(dir, 'state.json')).catch(() => undefined) : undefined;
  const requested = env.PARAPET_AGENT_KEY_STORE === 'file';
  const file = requested || enrolled?.keyStore === 'file';
  // The device key fell back to a file (no OS store at enrollment): say that, not "requested".
  const fileReason = !requested && enrolled?.keyStore === 'file' ? enrolled.keyStoreNote : undefined;
  const store = await Store.open({ dir, keyStore: file ? 'file' : 'auto', fileReason });
  if (enrolled) {
    const said = reconcileOwner(store, enrolled.ownerUserId);
    if (said) log?.(said);
  }
  return store;
}

async function* stdinLines(): AsyncIterable<string> {
  yield* createInterface({ input: process.stdin, crlfDelay: Infinity });
}

async function rulesTest(args: string[], io: AgentIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { rules: { type: 'string' }, 'state-dir': { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals[0] !== 'test') throw new UsageError('Use: parapet-agent rules test [--rules FILE] < titles.txt.');
  let policy = DEFAULT_POLICY;
  let local: Rule[] = [];
  if (values.rules) ({ policy, localRules: local } = readRulesFile(values.rules));
  else {
    const dir = stateDir(values);
    if (existsSync(join(dir, 'pulse.db'))) {
      const store = await openStore(dir, io.env ?? process.env, io.err);
      policy = currentPolicy(store);
      local = localRules(store);
      store.close();
    }
  }
  const c = makeClassifier(policy, local);
  let n = 0;
  for await (const line of io.stdin ?? stdinLines()) {
    n++;
    if (line.trim() === '') continue;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new UsageError(`Line ${n} has no tab between the app and the title.`);
    const app = line.slice(0, tab).trim().toLowerCase();
    const { title, domain } = c.scrub(line.slice(tab + 1));
    const { category, localCategory } = c.categoriser.categorise(app, title, domain);
    io.out(JSON.stringify({ line: n, category, local_category: localCategory, scrubbed_title: title, upload: { app, category, domain } }));
  }
  return 0;
}

/**
 * The signing client of the identity `<dir>/state.json` names now, for the uploader of a long
 * run: `enroll --force` while the agent runs replaces the identity, and the next upload round
 * signs with the new one (the state file is read each round; the key only when the state changed).
 */
export function currentDeviceClient(dir: string, log?: (line: string) => void, store?: Store): () => Promise<DeviceClient> {
  let cur: DeviceClient | undefined;
  let seen = '';
  return async () => {
    // The whole state, not only the device id: enroll --force --ca saves it twice (the new
    // identity, then its CA file), and a round that read the first must not keep it.
    const now = JSON.stringify(await loadState(join(dir, 'state.json')));
    if (!cur || now !== seen) {
      const next = await deviceClient(dir);
      if (cur && cur.state.deviceId !== next.state.deviceId) log?.(`This device was enrolled again; uploads are now signed as ${next.state.deviceId}.`);
      // Enrolled again for another person while running: their predecessor's intervals go first.
      const said = store && reconcileOwner(store, next.state.ownerUserId);
      if (said) log?.(said);
      cur = next;
      seen = now;
    }
    return cur;
  };
}

async function deviceClient(dir: string): Promise<DeviceClient> {
  const state = await loadState(join(dir, 'state.json'));
  const ks = await openEnrolledStore('agent', dir, state);
  const ca = state.caFile ? await readFile(state.caFile, 'utf8') : undefined;
  return DeviceClient.open({ statePath: join(dir, 'state.json'), store: ks, ...(ca ? { ca } : {}) });
}

/** `upload`: fetch the policy, then send batch after batch until nothing waits or one fails. */
async function uploadNow(args: string[], io: AgentIo): Promise<number> {
  const { values } = parseArgs({ args, options: { 'state-dir': { type: 'string' } }, strict: true });
  const dir = stateDir(values);
  if (!existsSync(join(dir, 'state.json'))) throw new UsageError(`This agent is not enrolled yet (no state in ${dir}); run parapet-agent enroll first.`);
  const client = await deviceClient(dir);
  const store = await openStore(dir, io.env ?? process.env, io.err);
  try {
    const up = new Uploader({ store, client });
    await up.fetchPolicy().catch((e: Error) => io.err(e instanceof PolicyError ? e.message : `The Pulse policy could not be fetched (${(e as NodeJS.ErrnoException).code ?? e.message}); the cached one stays in use.`));
    let sent = 0;
    for (;;) {
      const r = await up.sendOne();
      if (r.kind === 'nothing') break;
      if (r.kind === 'sent') sent++;
      else if (r.kind === 'rejected') io.err(`The server refused batch ${r.batchId} for good (${r.code}); it stays on this device.`);
      else if (r.kind === 'held') {
        io.err(r.sentence);
        return 1;
      } else if (/re-queued/.test(r.reason)) io.err(`Batch ${r.batchId} was not sent (${r.reason}).`);
      else {
        io.err(`Batch ${r.batchId} could not be sent (${r.reason}); it stays queued and is sent by the next run or upload.`);
        return 1;
      }
    }
    io.out(sent === 0 ? 'Nothing was waiting to be sent.' : `Sent ${sent} batch${sent === 1 ? '' : 'es'}.`);
    return 0;
  } finally {
    store.close();
  }
}

/** Opens a URL in the desktop's browser (xdg-open), detached; a missing opener is not an error (the URL is printed). */
function openInBrowser(url: string, env: Env): void {
  try {
    const p = spawn(env.PARAPET_AGENT_OPENER ?? 'xdg-open', [url], { env: env as NodeJS.ProcessEnv, stdio: 'ignore', detached: true });
    p.on('error', () => undefined);
    p.unref();
  } catch {
    /* the URL was printed */
  }
}

async function run(args: string[], io: AgentIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'state-dir': { type: 'string' }, 'idle-timeout': { type: 'string' }, 'no-upload': { type: 'boolean' }, 'no-tray': { type: 'boolean' }, page: { type: 'boolean' }, 'poll-ms': { type: 'string' }, 'upload-every': { type: 'string' } },
    strict: true,
  });
  const env = io.env ?? process.env;
  const idle = values['idle-timeout'] === undefined ? undefined : Number(values['idle-timeout']);
  if (idle !== undefined && !(Number.isInteger(idle) && idle >= 10 && idle <= 86_400)) throw new UsageError('--idle-timeout takes whole seconds between 10 and 86400.');
  const pollMs = values['poll-ms'] === undefined ? 1000 : Number(values['poll-ms']);
  if (!(Number.isInteger(pollMs) && pollMs >= 100 && pollMs <= 60_000)) throw new UsageError('--poll-ms takes whole milliseconds between 100 and 60000.');
  const dir = stateDir(values);
  const lock = acquireRunLock(dir);
  try {
    return await record(dir, values, { idle, pollMs }, io);
  } finally {
    lock.release();
  }
}

async function record(dir: string, values: { 'no-upload'?: boolean | undefined; 'no-tray'?: boolean | undefined; page?: boolean | undefined; 'upload-every'?: string | undefined }, o: { idle: number | undefined; pollMs: number }, io: AgentIo): Promise<number> {
  const env = io.env ?? process.env;
  const { idle, pollMs } = o;
  const store = await openStore(dir, env, io.err);
  const collector = await openCollector(env).catch((e: Error) => {
    store.close();
    throw new Error(`The display ${env.DISPLAY ?? ''} cannot be opened (${e.message.replace(/\.$/, '')}).`);
  });
  for (const n of collector.info.notes) io.err(n);
  io.err(store.keyStore.sentence);
  const locks: LockSource[] = [];
  if (process.platform === 'linux' && env.PARAPET_AGENT_LOGIND !== 'off') {
    await watchLogind({ busAddress: env.DBUS_SYSTEM_BUS_ADDRESS, sessionId: env.XDG_SESSION_ID, log: io.err }).then(
      (l) => locks.push(l),
      (e: Error) => io.err(`Screen lock is taken from the X screen saver only: logind cannot be asked (${e.message.replace(/\.$/, '')}).`),
    );
  }
  const recorder = new Recorder({ collector, store, pollMs, idleTimeoutSeconds: idle, locks, log: io.err });
  let uploader: Uploader | undefined;
  const enrolled = existsSync(join(dir, 'state.json'));
  if (!values['no-upload'] && enrolled) {
    const client = currentDeviceClient(dir, io.err, store);
    await client(); // a broken identity stops run here, as one sentence
    const every = values['upload-every'] === undefined ? 30_000 : Number(values['upload-every']);
    uploader = new Uploader({ store, client, idleMs: every, baseMs: Math.min(2000, every), log: io.err });
  } else io.err(enrolled ? 'Uploading is off (--no-upload); intervals stay on this device.' : 'This device is not enrolled, so intervals stay on this device until it is.');
  let page = values.page ? await startLocalPage(store) : undefined;
  if (page) io.out(`Local page: ${page.url}`);
  let tray: Tray | undefined;
  let trayTimer: NodeJS.Timeout | undefined;
  if (!values['no-tray'] && env.DBUS_SESSION_BUS_ADDRESS && process.platform === 'linux') {
    const showMyData = async () => {
      page ??= await startLocalPage(store);
      io.out(`Local page: ${page.url}`);
      openInBrowser(page.url, env);
      return page.url;
    };
    tray = await startTray({ store, busAddress: env.DBUS_SESSION_BUS_ADDRESS, showData: showMyData, onChange: () => recorder.refreshSoon(), log: io.err }).catch((e: Error) => {
      io.err(`No tray icon: the session bus cannot be used (${e.message.replace(/\.$/, '')}); the CLI controls still work.`);
      return undefined;
    });
    const t = tray;
    if (t) {
      const update = () => t.setState(recorder.trayState(Date.now(), collector.info.supported));
      update();
      trayTimer = setInterval(update, 1000);
    }
  }
  io.out(collector.info.supported ? `Recording (${collector.info.session}); stop with Ctrl-C.` : `Not recording anything on this ${collector.info.session} session (see above); waiting, stop with Ctrl-C.`);
  const pruneTimer = setInterval(() => store.prune(), 3600_000);
  store.prune();
  const rec = recorder.start();
  const up = uploader?.run();
  let failure: unknown;
  await Promise.race([rec.catch((e) => (failure = e)), io.stopSignal ?? new Promise(() => {})]);
  clearInterval(pruneTimer);
  clearInterval(trayTimer);
  await tray?.close();
  await recorder.stop();
  uploader?.stop();
  await up;
  await page?.close();
  await collector.close();
  for (const l of locks) await l.close();
  store.close();
  if (failure) throw failure;
  io.out('Stopped; the open interval was saved.');
  return 0;
}

async function control(command: string, args: string[], io: AgentIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'state-dir': { type: 'string' }, for: { type: 'string' }, 'until-resumed': { type: 'boolean' }, tz: { type: 'string' }, today: { type: 'boolean' }, pending: { type: 'boolean' }, json: { type: 'boolean' }, port: { type: 'string' }, app: { type: 'string' }, title: { type: 'string' }, domain: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const env = io.env ?? process.env;
  // Validate before touching the store, so wrong usage never needs the key.
  if (command === 'pause' && values.for && values['until-resumed']) throw new UsageError('Give either --for or --until-resumed, not both.');
  const forMs = command === 'pause' && values.for ? parseDuration(values.for) : undefined;
  if ((command === 'exclude' || command === 'include') && (positionals.length !== 1 || !positionals[0]!.trim())) throw new UsageError(`Use: parapet-agent ${command} APP.`);
  let hours: { days: number[]; start: number; end: number; tz: string } | undefined;
  if (command === 'hours' && positionals[0] === 'set') {
    if (positionals.length !== 3 || !values.tz) throw new UsageError('Use: parapet-agent hours set mon-fri 09:00-17:30 --tz Europe/Berlin.');
    hours = { days: parseDays(positionals[1]!), ...parseSpan(positionals[2]!), tz: checkTimeZone(values.tz) };
  } else if (command === 'hours' && positionals.length > 0 && positionals[0] !== 'clear') throw new UsageError('Use: parapet-agent hours set DAYS HH:MM-HH:MM --tz ZONE, hours clear, or hours.');
  let rule: Rule | undefined;
  if (command === 'category') {
    if (positionals[0] === 'add') {
      if (positionals.length !== 2 || !(values.app || values.title || values.domain)) throw new UsageError('Use: parapet-agent category add KEY --app APP and/or --title REGEX and/or --domain REGEX.');
      rule = { category: positionals[1]!, ...(values.app ? { app: values.app } : {}), ...(values.title ? { title: values.title } : {}), ...(values.domain ? { domain: values.domain } : {}) };
      makeClassifier({ ...DEFAULT_POLICY, allow_local_categories: true }, [rule]);
    } else if (positionals[0] !== 'list' && positionals[0] !== 'clear') throw new UsageError('Use: parapet-agent category add|list|clear.');
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) throw new UsageError('--port takes a port number.');

  const store = await openStore(stateDir(values), env, io.err);
  try {
    const now = Date.now();
    switch (command) {
      case 'pause': {
        const until = forMs === undefined ? null : now + forMs;
        store.setSetting('pause', { since: now, until });
        io.out(until === null ? 'Paused until you run parapet-agent resume; this time is recorded only as paused.' : `Paused until ${new Date(until).toISOString()}; this time is recorded only as paused.`);
        return 0;
      }
      case 'resume':
        store.setSetting('pause', undefined);
        io.out('Recording resumed.');
        return 0;
      case 'exclude':
      case 'include': {
        const app = positionals[0]!.trim().toLowerCase();
        const set = new Set(readControls(store).excluded);
        if (command === 'exclude') set.add(app);
        else set.delete(app);
        store.setSetting('excluded', [...set].sort());
        io.out(command === 'exclude' ? `Time in ${app} is now recorded only as paused.` : `Time in ${app} is recorded normally again.`);
        return 0;
      }
      case 'hours':
        if (hours) {
          store.setSetting('hours', hours);
          io.out(`Working hours set to ${describeHours(hours)}; outside them time is recorded only as paused.`);
        } else if (positionals[0] === 'clear') {
          store.setSetting('hours', undefined);
          io.out('Working hours cleared.');
        } else {
          const h = readControls(store).hours;
          io.out(h ? `Working hours: ${describeHours(h)}.` : 'No working hours set.');
        }
        return 0;
      case 'category': {
        const policy = currentPolicy(store);
        const list = localRules(store);
        if (rule) {
          if (!policy.allow_local_categories) throw new ControlError("Your organisation's policy does not allow your own categories.");
          store.setSetting('local_rules', [...list, rule]);
          io.out(`Added your category ${rule.category}; it stays on this device.`);
        } else if (positionals[0] === 'clear') {
          store.setSetting('local_rules', undefined);
          io.out('Your categories were removed.');
        } else for (const r of list) io.out(JSON.stringify(r));
        return 0;
      }
      case 'show': {
        const from = startOfLocalDay(now);
        const d = showData(store, { from, to: from + 24 * 3600 * 1000, now });
        if (values.json) io.out(JSON.stringify(d, null, 2));
        else {
          const both = !values.today && !values.pending;
          for (const l of showText(d, { recorded: both || !!values.today, pending: both || !!values.pending })) io.out(l);
        }
        return 0;
      }
      case 'page': {
        const page = await startLocalPage(store, { port });
        io.out(`Local page: ${page.url}`);
        io.out('It shows what this device recorded today and what it will send; stop with Ctrl-C.');
        await (io.stopSignal ?? new Promise(() => {}));
        await page.close();
        return 0;
      }
    }
    throw new UsageError(`Unknown command ${command}.`);
  } finally {
    store.close();
  }
}

/**
 * What `status` adds for Pulse, in text mode (`--json` stays the device's own shape): the upload
 * hold as one sentence, or how many intervals wait to be sent. Nothing on a machine without a
 * Pulse store; a store that cannot be opened is named in one line and does not change the exit code.
 */
export async function pulseStatus(args: string[], io: AgentIo): Promise<void> {
  const { values } = parseArgs({ args, options: { 'state-dir': { type: 'string' }, json: { type: 'boolean' } }, strict: false, allowPositionals: true });
  if (values.json === true) return;
  const dir = stateDir({ 'state-dir': typeof values['state-dir'] === 'string' ? values['state-dir'] : undefined });
  if (!existsSync(join(dir, 'pulse.db'))) return;
  let store: Store;
  try {
    store = await openStore(dir, io.env ?? process.env, io.out);
  } catch (e) {
    io.out(`Pulse: the local store could not be opened (${(e as Error).message}).`);
    return;
  }
  try {
    const hold = store.getSetting<UploadHold>(HELD_SETTING);
    const waiting = store.waitingCount();
    io.out(hold ? `Pulse: ${holdSentence(hold, waiting)}` : `Pulse: ${waiting} intervals waiting to be sent.`);
  } finally {
    store.close();
  }
}

/** Runs one Pulse command; returns the exit code. */
export async function agentCli(argv: string[], io: AgentIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'rules') return await rulesTest(rest, io);
    if (command === 'run') return await run(rest, io);
    if (command === 'upload') return await uploadNow(rest, io);
    return await control(command!, rest, io);
  } catch (e) {
    const parse = (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') ?? false;
    const usage = e instanceof UsageError || e instanceof ControlError || parse;
    io.err(!parse && (usage || e instanceof StoreError || e instanceof RuleError || e instanceof RunLockError) ? (e as Error).message : explainDevice('agent', e, undefined, false));
    return usage ? 2 : 1;
  }
}
