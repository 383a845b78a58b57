/** The server's resident memory, as the kernel counts it (worker threads included). */
import fs from 'node:fs';

export function memoryKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

export interface Peak {
  /** The largest VmRSS seen by sampling every ~20 ms. */
  sampledMb: number;
  /** The kernel's high-water mark at the end, which no sample can miss. */
  hwmMb: number;
}

/**
 * Samples VmRSS every ~20 ms until stopped. Meant for a fresh process, whose VmHWM is then the
 * peak of what it was started for; the samples show whether that peak was a spike or a plateau.
 */
export function sampleRss(pid: number): { stop(): Peak } {
  let sampled = memoryKb(pid, 'VmRSS');
  const timer = setInterval(() => {
    try {
      sampled = Math.max(sampled, memoryKb(pid, 'VmRSS'));
    } catch {
      // The process has exited; stop() reports what was seen.
    }
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return { sampledMb: sampled / 1024, hwmMb: Math.max(sampled, memoryKb(pid, 'VmHWM')) / 1024 };
    },
  };
}
