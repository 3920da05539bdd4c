/**
 * One recorder per state dir. Two `parapet-agent run` processes on one store would each turn
 * the same foreground window into intervals of their own (new ids), and the server would count
 * every second twice; so `run` holds `<state dir>/run.pid` (the holder's pid, created with
 * O_EXCL) for as long as it records. A file whose pid no longer runs a parapet-agent (the agent
 * was killed) is taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Another live process holds the state dir. The message is one sentence for the CLI. */
export class RunLockError extends Error {
  override name = 'RunLockError';
}

/**
 * True when a process with this pid exists (EPERM: it exists but belongs to someone else) and,
 * where /proc tells, is a parapet-agent: after a reboot the pid of a killed agent may belong to
 * an unrelated process, which must not keep the agent from starting.
 */
function aliveAgent(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('parapet-agent');
  } catch {
    return true; // no /proc (macOS) or not readable: trust the pid
  }
}

/**
 * Takes `<dir>/run.pid` for this process (creating `dir`, mode 0700, if needed); `release`
 * removes it when it still names this process.
 * @throws RunLockError when a live process other than this one holds it
 */
export function acquireRunLock(dir: string): { path: string; release(): void } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'run.pid');
  const release = () => {
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { path, release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let held: number | undefined;
    try {
      held = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      continue; // removed meanwhile: try again
    }
    if (Number.isInteger(held) && held > 0 && held !== process.pid && aliveAgent(held)) {
      throw new RunLockError(`Another parapet-agent run (pid ${held}) is recording into ${dir}; stop it first, or delete ${path} if no agent is running.`);
    }
    // A dead holder, our own pid or no pid: the file is stale.
    try {
      unlinkSync(path);
    } catch {
      /* another starter removed it first */
    }
  }
  throw new RunLockError(`The lock ${path} keeps changing; another parapet-agent run seems to be starting in ${dir}.`);
}
