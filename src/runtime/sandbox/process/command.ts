// The exact command line of a worker: `node --permission` with read access to the bootstrap, its bundle
// and its scratch root only, write access to the scratch root only, and nothing else granted; wrapped
// in bubblewrap when that layer is active. No environment is passed (bwrap also --clearenv's its own).

import { fileURLToPath } from 'node:url';

export const BOOTSTRAP_PATH = fileURLToPath(new URL('../../worker/bootstrap.mjs', import.meta.url));

/** What the bubblewrap layer needs, found once by the isolation probe. */
export interface BwrapPlan {
  bwrap: string;
  /** Shared objects the node binary loads (from ldd), bound read-only at the same paths. */
  libraries: string[];
}

export interface WorkerCommand {
  file: string;
  args: string[];
  cwd: string;
  /** Paths as the worker sees them. */
  inside: { bundle: string; scratch: string };
}

export interface CommandInput {
  nodePath: string;
  bundle: string;
  scratch: string;
  memoryMb: number;
  allowCodeGeneration: boolean;
  bwrap: BwrapPlan | undefined;
  /** Without bwrap: setpriv(1), to arm PR_SET_PDEATHSIG (SIGKILL) before node starts. */
  setpriv: string | undefined;
}

/** Fixed paths inside the bubblewrap mount namespace: the host layout is not revealed. */
const INSIDE = { node: '/bwk/node', bootstrap: '/bwk/bootstrap.mjs', bundle: '/bwk/function.mjs', scratch: '/tmp' };

function nodeArgs(bootstrap: string, bundle: string, scratch: string, memoryMb: number, allowCodeGeneration: boolean): string[] {
  const args = [
    '--permission',
    `--allow-fs-read=${bootstrap}`,
    `--allow-fs-read=${bundle}`,
    `--allow-fs-read=${scratch}`,
    // The bootstrap sweeps inherited descriptors using the flags listed here.
    '--allow-fs-read=/proc/self/fdinfo',
    `--allow-fs-write=${scratch}`,
    '--no-addons',
    '--disable-sigusr1',
    `--max-old-space-size=${memoryMb}`,
  ];
  if (!allowCodeGeneration) args.push('--disallow-code-generation-from-strings');
  args.push(bootstrap);
  return args;
}

export function workerCommand(input: CommandInput): WorkerCommand {
  if (!input.bwrap) {
    const args = nodeArgs(BOOTSTRAP_PATH, input.bundle, input.scratch, input.memoryMb, input.allowCodeGeneration);
    // setpriv execs node in place (same pid), so the watchdog and kill() need no change.
    return {
      file: input.setpriv ?? input.nodePath,
      args: input.setpriv ? ['--pdeathsig', 'KILL', '--', input.nodePath, ...args] : args,
      cwd: input.scratch,
      inside: { bundle: input.bundle, scratch: input.scratch },
    };
  }
  const args = [
    '--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--die-with-parent', '--new-session', '--clearenv', '--cap-drop', 'ALL',
    '--uid', '65534', '--gid', '65534', '--hostname', 'bulwark',
    '--ro-bind', input.nodePath, INSIDE.node,
  ];
  for (const lib of input.bwrap.libraries) args.push('--ro-bind', lib, lib);
  args.push(
    '--ro-bind', BOOTSTRAP_PATH, INSIDE.bootstrap,
    '--ro-bind', input.bundle, INSIDE.bundle,
    '--bind', input.scratch, INSIDE.scratch,
    '--dev', '/dev',
    '--proc', '/proc',
    '--chdir', INSIDE.scratch,
    '--',
    INSIDE.node,
    ...nodeArgs(INSIDE.bootstrap, INSIDE.bundle, INSIDE.scratch, input.memoryMb, input.allowCodeGeneration),
  );
  return { file: input.bwrap.bwrap, args, cwd: input.scratch, inside: { bundle: INSIDE.bundle, scratch: INSIDE.scratch } };
}
