import { readFileSync } from 'node:fs';

/**
 * Resident memory of a process in MB, from /proc (Linux). Undefined where there is no /proc or
 * the process is gone: the host's memory limit is then not enforced (docs/sandbox.md).
 */
export function residentMb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
