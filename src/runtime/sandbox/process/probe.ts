// Which isolation layers this machine can give a worker, found by trying them for real: a throwaway
// node process under the same flags a worker gets (and, for bubblewrap, inside the same namespaces).
// `bulwark doctor` prints the report; createProcessSandbox uses the plan and enforces config.isolation.

import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Config } from '../../../config.ts';
import type { IsolationLayer, IsolationReport } from '../sandbox.ts';
import { BOOTSTRAP_PATH, type BwrapPlan } from './command.ts';

const run = promisify(execFile);
const BWRAP_CANDIDATES = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'];
const SETPRIV_CANDIDATES = ['/usr/bin/setpriv', '/bin/setpriv'];

export interface IsolationPlan {
  report: IsolationReport;
  bwrap: BwrapPlan | undefined;
  /** setpriv(1) that sets PR_SET_PDEATHSIG for workers without bubblewrap (which has --die-with-parent). */
  setpriv: string | undefined;
}

// Run inside the probe process: each check must come out denied for its layer to count as active.
const PROBE = `
const out = { env: Object.keys(process.env).length, pid: process.pid };
try { require('fs').readFileSync('/etc/passwd'); out.fsRead = 'allowed'; } catch (e) { out.fsRead = e.code; }
try { eval('1'); out.eval = 'allowed'; } catch (e) { out.eval = e.name; }
process.stdout.write(JSON.stringify(out));
`;
const PROBE_FLAGS = ['--permission', '--disallow-code-generation-from-strings', '-e', PROBE];

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim().split('\n')[0]!.slice(0, 200);
}

/** Shared objects `ldd` lists for the node binary: what bwrap must bind for it to start. */
async function nodeLibraries(nodePath: string): Promise<string[]> {
  const { stdout } = await run('ldd', [nodePath], { env: {}, timeout: 5000 });
  const libs = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs];
}

async function findBwrap(): Promise<string | undefined> {
  for (const p of BWRAP_CANDIDATES) {
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
}

/** A setpriv that can arm the parent-death signal and still run node. */
async function probeSetpriv(nodePath: string): Promise<{ path?: string; detail: string }> {
  if (process.platform !== 'linux') return { detail: 'PR_SET_PDEATHSIG is Linux only' };
  for (const p of SETPRIV_CANDIDATES) {
    if (!(await access(p, constants.X_OK).then(() => true, () => false))) continue;
    try {
      await run(p, ['--pdeathsig', 'KILL', '--', nodePath, '--version'], { env: {}, timeout: 5000 });
      return { path: p, detail: `${p} --pdeathsig KILL: a worker is SIGKILLed when the gateway dies, even mid-loop` };
    } catch (err) {
      return { detail: `${p} --pdeathsig failed: ${firstLine(err)}` };
    }
  }
  return { detail: 'setpriv not found (Debian package "util-linux"): workers outlive a SIGKILLed gateway' };
}

async function probeBwrap(nodePath: string): Promise<{ plan?: BwrapPlan; detail: string }> {
  if (process.platform !== 'linux') return { detail: 'bubblewrap needs Linux namespaces' };
  const bwrap = await findBwrap();
  if (!bwrap) return { detail: 'bwrap not found (Debian package "bubblewrap")' };
  let libraries: string[];
  try {
    libraries = await nodeLibraries(nodePath);
  } catch (err) {
    return { detail: `ldd ${nodePath} failed: ${firstLine(err)}` };
  }
  const args = ['--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--die-with-parent', '--new-session', '--clearenv', '--cap-drop', 'ALL', '--uid', '65534', '--gid', '65534',
    '--ro-bind', nodePath, '/bwk/node'];
  for (const lib of libraries) args.push('--ro-bind', lib, lib);
  args.push('--dev', '/dev', '--proc', '/proc', '--', '/bwk/node', ...PROBE_FLAGS);
  try {
    const { stdout } = await run(bwrap, args, { env: {}, timeout: 10_000 });
    const out = JSON.parse(stdout) as { pid: number };
    // In a fresh pid namespace bwrap is pid 1 and node is its first child.
    if (out.pid > 5) return { detail: `node ran as pid ${out.pid}: no new pid namespace` };
    return { plan: { bwrap, libraries }, detail: `${bwrap}: user, pid, net, ipc, uts (and cgroup where possible) namespaces; only node, ${libraries.length} libraries, the bootstrap, the bundle and the scratch dir mounted` };
  } catch (err) {
    return { detail: `${bwrap} cannot create namespaces here: ${firstLine(err)}` };
  }
}

async function probePermission(nodePath: string): Promise<{ fsRead: string; eval: string; env: number } | string> {
  try {
    const { stdout } = await run(nodePath, PROBE_FLAGS, { env: {}, timeout: 10_000 });
    return JSON.parse(stdout) as { fsRead: string; eval: string; env: number };
  } catch (err) {
    return firstLine(err);
  }
}

/** Tries every layer and decides whether bubblewrap will wrap workers under `config.isolation`. */
export async function planIsolation(config: Config, nodePath = process.execPath): Promise<IsolationPlan> {
  const [perm, bw, bootstrapOk, procOk, sp] = await Promise.all([
    probePermission(nodePath),
    config.isolation === 'permission-only' ? Promise.resolve({ detail: 'disabled by isolation: permission-only' } as { plan?: BwrapPlan; detail: string }) : probeBwrap(nodePath),
    access(BOOTSTRAP_PATH, constants.R_OK).then(() => true, () => false),
    readFile('/proc/self/status', 'utf8').then((s) => s.includes('VmRSS'), () => false),
    probeSetpriv(nodePath),
  ]);
  const layers: IsolationLayer[] = [];
  if (typeof perm === 'string') {
    layers.push({ name: 'node-permission', active: false, detail: `node --permission did not run: ${perm}` });
    layers.push({ name: 'disallow-code-generation', active: false, detail: 'not probed: node did not run' });
    layers.push({ name: 'empty-env', active: false, detail: 'not probed: node did not run' });
  } else {
    layers.push({
      name: 'node-permission', active: perm.fsRead === 'ERR_ACCESS_DENIED',
      detail: perm.fsRead === 'ERR_ACCESS_DENIED'
        ? `node ${process.version} --permission: fs read limited to bootstrap, bundle and scratch; fs write to scratch; no child processes, workers, addons, net, wasi, inspector, ffi`
        : `reading /etc/passwd under --permission gave ${perm.fsRead}`,
    });
    layers.push({
      name: 'disallow-code-generation', active: perm.eval === 'EvalError',
      detail: perm.eval === 'EvalError'
        ? 'eval/new Function refused by V8; vm, Module#_compile, data: imports, loading any file but the bundle and WebAssembly closed by the bootstrap (per function: runtime.allowCodeGeneration opts out)'
        : `eval under --disallow-code-generation-from-strings gave ${perm.eval}`,
    });
    layers.push({ name: 'empty-env', active: perm.env === 0, detail: perm.env === 0 ? 'workers start with no environment variables' : `${perm.env} variables reached the probe` });
  }
  layers.push({
    name: 'bubblewrap', active: bw.plan !== undefined, detail: bw.detail,
  });
  layers.push({
    name: 'closed-builtins', active: bootstrapOk,
    detail: bootstrapOk
      ? 'bootstrap denies child_process, cluster, worker_threads, net, tls, dgram, dns, http(s), http2, inspector, sqlite, wasi, repl, trace_events, v8, os.setPriority and process.kill/_debugProcess/binding/dlopen/setuid & co before user code'
      : `bootstrap not readable at ${BOOTSTRAP_PATH}`,
  });
  layers.push({
    name: 'memory-watchdog', active: procOk,
    detail: procOk
      ? 'V8 heap capped by --max-old-space-size; RSS from /proc/<pid>/status and scratch usage (quota: limits.memory) checked, the worker killed over either; CPU burnt while idle from /proc/<pid>/stat'
      : '/proc/<pid>/status unreadable: only the V8 heap limit applies',
  });
  // Without it a worker spinning in a loop outlives a SIGKILLed gateway: nothing reads its channel.
  const setpriv = bw.plan ? undefined : sp.path;
  layers.push({
    name: 'die-with-parent', active: bw.plan !== undefined || setpriv !== undefined,
    detail: bw.plan ? 'bwrap --die-with-parent' : sp.detail,
  });
  return { report: { mode: config.isolation, layers }, bwrap: bw.plan, setpriv };
}

/** The report `bulwark doctor` prints: each layer, active or not, and why. */
export async function probeIsolation(config: Config): Promise<IsolationReport> {
  return (await planIsolation(config)).report;
}
