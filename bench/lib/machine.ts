/** What machine the figures come from: noted in results.json and RESULTS.md. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { runProcess } from './proc';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  release: string;
  arch: string;
  hostname: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    hostname: os.hostname(),
  };
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Node ${m.node}, ${m.platform} ${m.release} ${m.arch}`;
}

/**
 * A fixed job that never changes with cf-rotate's code (JSON, regular expressions, string and
 * buffer work, a loop), timed in a fresh Node process: how fast this machine is right now. Two
 * runs of the same build on one machine can differ by 2× when the host is busy; comparing this
 * figure says whether the machine or the code moved. Median of 3, ms (lower is faster).
 */
const REFERENCE_JOB = `
const t0 = performance.now();
const rows = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: 'token-' + i, value: 'v'.repeat(40) + i, due: i % 7 === 0 }));
let n = 0;
for (let r = 0; r < 40; r++) {
  const back = JSON.parse(JSON.stringify(rows));
  for (const x of back) if (/^token-\\d+7$/.test(x.name)) n += Buffer.from(x.value).toString('base64').length;
}
for (let i = 0; i < 2e7; i++) n = (n + i) % 1000003;
process.stdout.write(String(performance.now() - t0) + ' ' + n);
`;

export async function referenceJobMs(): Promise<number | undefined> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await runProcess(process.execPath, ['-e', REFERENCE_JOB], { timeoutMs: 60_000 }).catch(() => undefined);
    const ms = r && r.code === 0 ? Number(r.stdout.split(' ')[0]) : NaN;
    if (Number.isFinite(ms)) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times.length > 0 ? times[Math.floor(times.length / 2)] : undefined;
}

/** CPU time (all cores) so far, and the part the hypervisor gave to others (steal), in ticks of /proc/stat; undefined off Linux. */
export function cpuTicks(): { total: number; steal: number } | undefined {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    if (cpu.length < 8 || cpu.some((x) => !Number.isFinite(x))) return undefined;
    return { total: cpu.slice(0, 8).reduce((a, b) => a + b, 0), steal: cpu[7] as number };
  } catch {
    return undefined;
  }
}

/** Steal between two readings, as a share of all CPU time (0–1). */
export function stealShare(before: ReturnType<typeof cpuTicks>, after: ReturnType<typeof cpuTicks>): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return (after.steal - before.steal) / (after.total - before.total);
}
