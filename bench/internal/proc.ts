// What the bench drivers read from /proc: every process's and thread's CPU ticks, and the processes
// under a server (its sandbox workers, bubblewrap's own included).

import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc, 100 on every Linux build Node supports. */
export const TICKS_PER_SEC = 100;

export interface Task { pid: number; tid: number; comm: string; ppid: number; ticks: number }

/** Fields after the parenthesised name: state is field 3, ppid 4, utime 14 and stime 15. */
function readStat(path: string): { comm: string; ppid: number; ticks: number } | undefined {
  let text: string;
  try { text = readFileSync(path, 'latin1'); } catch { return undefined; }
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  return { comm: text.slice(text.indexOf('(') + 1, close), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
}

export function snapshot(): Map<string, Task> {
  const tasks = new Map<string, Task>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    let tids: string[];
    try { tids = readdirSync(`/proc/${pid}/task`); } catch { continue; }
    const proc = readStat(`/proc/${pid}/stat`);
    if (!proc) continue;
    for (const t of tids) {
      const s = readStat(`/proc/${pid}/task/${t}/stat`);
      if (s) tasks.set(`${pid}/${t}`, { pid, tid: Number(t), comm: s.comm, ppid: proc.ppid, ticks: s.ticks });
    }
  }
  return tasks;
}

/** Pids under `root` (bubblewrap's own processes included: they use next to nothing). */
export function descendants(tasks: Map<string, Task>, root: number): Set<number> {
  const found = new Set<number>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of tasks.values()) {
      if (!found.has(t.pid) && (t.ppid === root || found.has(t.ppid))) { found.add(t.pid); grew = true; }
    }
  }
  return found;
}
