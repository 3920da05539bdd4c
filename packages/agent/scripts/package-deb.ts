/**
 * Builds the Debian package of the agent (`npm run package -w @parapet/agent [-- OUTDIR]`,
 * default packages/agent/dist/): `parapet-agent_<version>_<arch>.deb`, made with Debian's own
 * tools (dpkg-deb for the archive, dpkg-shlibdeps for the shared-library dependencies; Debian
 * package dpkg-dev).
 *
 * Layout (Debian Policy 10.1 and the systemd user-unit path):
 * - /usr/lib/parapet-agent/parapet-agent.mjs: the esbuild bundle (scripts/bundle.ts) with its
 *   V8 flags in the shebang, and page/ (the local page's assets);
 * - /usr/lib/parapet-agent/node_modules/: the packages the bundle leaves external
 *   ({@link RUNTIME_PACKAGES}) and their run-time dependency closure, copied from this
 *   checkout's node_modules. better-sqlite3-multiple-ciphers (SQLCipher) and @napi-rs/keyring
 *   are native, so the package is for the build machine's architecture (`dpkg
 *   --print-architecture`), never `all`, and only the compiled addon of the former is shipped
 *   (stripped, not its C sources);
 * - /usr/bin/parapet-agent: a symlink to the bundle;
 * - /usr/lib/systemd/user/parapet-agent.service: the user unit from dist-files/ with
 *   `ExecStart=/usr/bin/parapet-agent run`. It is not enabled for anyone by installing: the agent
 *   needs a per-user enrollment first (docs/agent.md says how to enable it).
 *
 * Depends: `nodejs (>= 20), nodejs (<< 21)` (better-sqlite3's addon is built against Node's V8
 * ABI, NODE_MODULE_VERSION 115 for Node 20, not Node-API) and what dpkg-shlibdeps finds for the
 * two addons (libc6, libstdc++6, libgcc-s1). SQLCipher itself (SQLite3MultipleCiphers) is
 * compiled into the addon with its own AES, so it needs no libssl or libsqlcipher.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { dirname, join, relative } from 'node:path';
import { AGENT_VERSION, bundleAgent } from './bundle.js';

const here = new URL('.', import.meta.url).pathname;
const agentDir = join(here, '..');
const repoRoot = join(agentDir, '..', '..');

/** The packages the bundle resolves at run time from node_modules next to it. */
export const RUNTIME_PACKAGES = ['better-sqlite3-multiple-ciphers', '@napi-rs/keyring', 'x11', 'dbus-next', 'uplot'];
/**
 * Dependencies never used at run time: install-time tools (prebuilt download, node-gyp), and
 * usocket, dbus-next's optional native socket, whose addon is never built here (allowScripts
 * does not run its install script) and without which dbus-next uses Node's own sockets.
 */
const INSTALL_ONLY = new Set(['prebuild-install', 'node-gyp', 'usocket']);
/** What the package ships of better-sqlite3-multiple-ciphers: its JS, its licence and the compiled addon. */
const SQLITE_FILES = ['package.json', 'LICENSE', 'README.md', 'lib', 'build/Release/better_sqlite3.node'];

/** Node's major version the native addons were compiled for (the Depends range). */
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

interface Pkg { name: string; dir: string; version: string; license: string }

/** Finds `name` as Node would from `fromDir` (node_modules of it and of each parent). */
function findPackage(name: string, fromDir: string): string | null {
  for (let d = fromDir; ; d = dirname(d)) {
    const c = join(d, 'node_modules', name);
    if (existsSync(join(c, 'package.json'))) return c;
    if (dirname(d) === d) return null;
  }
}

/**
 * The run-time dependency closure of {@link RUNTIME_PACKAGES}: dependencies, and optional
 * dependencies that are installed (the platform's prebuilt addon of @napi-rs/keyring).
 * @throws Error when a required package is missing or two versions of one name would be needed
 * (the package's node_modules is flat).
 */
export function runtimeClosure(): Pkg[] {
  const found = new Map<string, Pkg>();
  const visit = (name: string, from: string, optional: boolean): void => {
    const dir = findPackage(name, from);
    if (!dir) {
      if (optional) return;
      throw new Error(`${name} is not installed; run npm ci first.`);
    }
    const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string; license?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    const seen = found.get(name);
    if (seen) {
      if (seen.version !== pj.version) throw new Error(`${name} is needed in two versions (${seen.version}, ${pj.version}); the package's node_modules is flat.`);
      return;
    }
    found.set(name, { name, dir, version: pj.version, license: pj.license ?? 'see its LICENSE file' });
    const opt = pj.optionalDependencies ?? {};
    for (const d of Object.keys(pj.dependencies ?? {})) if (!INSTALL_ONLY.has(d)) visit(d, dir, d in opt);
    for (const d of Object.keys(opt)) if (!INSTALL_ONLY.has(d)) visit(d, dir, true);
  };
  for (const n of RUNTIME_PACKAGES) visit(n, agentDir, false);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function copyPackage(p: Pkg, to: string): void {
  if (p.name === 'better-sqlite3-multiple-ciphers') {
    for (const f of SQLITE_FILES) if (existsSync(join(p.dir, f))) cpSync(join(p.dir, f), join(to, f), { recursive: true });
    return;
  }
  // Nested node_modules are placed flat by runtimeClosure; tests and examples are not run.
  // Dot files (.npmignore, CI configuration) are for the package's authors.
  cpSync(p.dir, to, { recursive: true, dereference: true, filter: (src) => !/\/node_modules\/.+\/(node_modules|test|tests|examples|\.[^/]*)$/.test(src) });
}

/** Directories 0755, files 0644 (0755 where the owner could execute), as Debian Policy 10.9 asks. */
function normaliseModes(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isSymbolicLink()) continue;
    if (e.isDirectory()) (chmodSync(p, 0o755), normaliseModes(p));
    else chmodSync(p, statSync(p).mode & 0o100 ? 0o755 : 0o644);
  }
}

function walkFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** `shlibs:Depends` for the given ELF files, from dpkg-shlibdeps (it needs a debian/control to run in). */
function shlibDepends(work: string, files: string[]): string {
  mkdirSync(join(work, 'debian'), { recursive: true });
  writeFileSync(join(work, 'debian', 'control'), 'Source: parapet-agent\n\nPackage: parapet-agent\nArchitecture: any\n');
  const out = execFileSync('dpkg-shlibdeps', ['-O', ...files.map((f) => `-e${f}`)], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = /^shlibs:Depends=(.*)$/m.exec(out);
  if (!m) throw new Error(`dpkg-shlibdeps gave no shlibs:Depends: ${out}`);
  return m[1]!.trim();
}

/**
 * The build's timestamp (seconds since the epoch, https://reproducible-builds.org/specs/source-date-epoch/):
 * SOURCE_DATE_EPOCH when set, else the last commit's time, else now.
 */
function sourceDateEpoch(): string {
  if (process.env.SOURCE_DATE_EPOCH) return process.env.SOURCE_DATE_EPOCH;
  try {
    return execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: agentDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return String(Math.floor(Date.now() / 1000));
  }
}

/** RFC 2822 date (Debian changelog trailer) of `seconds` since the epoch, in UTC. */
function rfc2822(seconds: number): string {
  const d = new Date(seconds * 1000);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${p(d.getUTCDate())} ${mon} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** What {@link packageAgent} built. */
export interface AgentDeb {
  /** Absolute path of the .deb. */
  path: string;
  version: string;
  /** Debian architecture (amd64, arm64, ...). */
  arch: string;
}

/**
 * Builds the .deb into `outDir` (created if needed). Takes 5-20 s (esbuild, copying, stripping,
 * dpkg-shlibdeps, dpkg-deb with xz).
 * @throws Error with one sentence when dpkg-deb or dpkg-shlibdeps is missing (Debian: dpkg-dev),
 * or a run-time package is not installed.
 */
export async function packageAgent(outDir: string): Promise<AgentDeb> {
  for (const tool of ['dpkg-deb', 'dpkg-shlibdeps']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is not installed; on Debian install dpkg-dev.`);
    }
  }
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const work = mkdtempSync(join(tmpdir(), 'parapet-agent-deb-'));
  try {
    const epoch = sourceDateEpoch();
    const root = join(work, 'root');
    const lib = join(root, 'usr/lib/parapet-agent');
    await bundleAgent(join(lib, 'parapet-agent.mjs'));
    const pkgs = runtimeClosure();
    for (const p of pkgs) copyPackage(p, join(lib, 'node_modules', p.name));

    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    symlinkSync('../lib/parapet-agent/parapet-agent.mjs', join(root, 'usr/bin/parapet-agent'));
    const unit = readFileSync(join(agentDir, 'dist-files/parapet-agent.service'), 'utf8').replace(/^ExecStart=.*$/m, 'ExecStart=/usr/bin/parapet-agent run');
    mkdirSync(join(root, 'usr/lib/systemd/user'), { recursive: true });
    writeFileSync(join(root, 'usr/lib/systemd/user/parapet-agent.service'), unit);

    const license = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { license: string }).license;
    const doc = join(root, 'usr/share/doc/parapet-agent');
    mkdirSync(doc, { recursive: true });
    writeFileSync(join(doc, 'copyright'), [
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
      'Upstream-Name: parapet-agent',
      '',
      'Files: *',
      `Copyright: ${new Date(Number(epoch) * 1000).getUTCFullYear()} The Parapet authors`,
      `License: ${license}`,
      '',
      ...pkgs.flatMap((p) => [`Files: usr/lib/parapet-agent/node_modules/${p.name}/*`, `Comment: ${p.name} ${p.version} (npm); its own licence file is next to it`, `License: ${p.license}`, '']),
    ].join('\n'));
    writeFileSync(join(doc, 'changelog.gz'), gzipSync([
      `parapet-agent (${AGENT_VERSION}) unstable; urgency=medium`,
      '',
      '  * Built from the Parapet repository (packages/agent/scripts/package-deb.ts).',
      '',
      ` -- Parapet <maintainers@parapet.dev>  ${rfc2822(Number(epoch))}`,
      '',
    ].join('\n'), { level: 9 }));
    normaliseModes(root);
    chmodSync(join(lib, 'parapet-agent.mjs'), 0o755);

    const files = walkFiles(root);
    const elf = files.filter((f) => f.endsWith('.node'));
    // As dh_strip does: no debugging symbols, and shared objects are not executables.
    for (const f of elf) {
      execFileSync('strip', ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', f]);
      chmodSync(f, 0o644);
    }
    const depends = [`nodejs (>= ${NODE_MAJOR})`, `nodejs (<< ${NODE_MAJOR + 1})`, shlibDepends(work, elf)].join(', ');
    const installedKb = Math.ceil(files.reduce((n, f) => n + lstatSync(f).size, 0) / 1024);
    const control = [
      'Package: parapet-agent',
      `Version: ${AGENT_VERSION}`,
      `Architecture: ${arch}`,
      'Maintainer: Parapet <maintainers@parapet.dev>',
      `Installed-Size: ${installedKb}`,
      `Depends: ${depends}`,
      'Recommends: xdg-utils',
      'Suggests: gnome-keyring',
      'Section: admin',
      'Priority: optional',
      'Homepage: https://parapet.dev/docs/agent',
      'Description: Parapet Pulse agent (privacy-first workforce analytics)',
      ' Records which application is in the foreground on an X11 desktop, scrubs and',
      ' categorises window titles on the device, keeps an encrypted local store the',
      ' employee can read (parapet-agent show) and uploads signed batches to a',
      ' Parapet server. Runs as a systemd user unit once enrolled.',
      '',
    ].join('\n');
    mkdirSync(join(root, 'DEBIAN'));
    writeFileSync(join(root, 'DEBIAN/control'), control);
    files.sort();
    writeFileSync(join(root, 'DEBIAN/md5sums'), files.map((f) => `${createHash('md5').update(readFileSync(f)).digest('hex')}  ${relative(root, f)}\n`).join(''));
    chmodSync(join(root, 'DEBIAN'), 0o755);
    for (const f of ['control', 'md5sums']) chmodSync(join(root, 'DEBIAN', f), 0o644);

    mkdirSync(outDir, { recursive: true });
    const path = join(outDir, `parapet-agent_${AGENT_VERSION}_${arch}.deb`);
    // dpkg-deb sorts the members and clamps their mtimes to SOURCE_DATE_EPOCH, so the same
    // checkout gives the same bytes (reproducible builds).
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, path], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SOURCE_DATE_EPOCH: epoch } });
    return { path, version: AGENT_VERSION, arch };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  try {
    const d = await packageAgent(process.argv[2] ?? join(agentDir, 'dist'));
    console.log(d.path);
  } catch (e) {
    console.error(`package-deb: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
