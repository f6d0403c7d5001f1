import type { Config } from '../../config/index.ts';
import type { OwnPort, PortOwner, ProbeResult } from '../ports.ts';

export type CheckLevel = 'ok' | 'warn' | 'fail';

/** One line of `gatehouse doctor`: what was checked, how it stands, and on warn/fail what to do. */
export interface CheckResult {
  check: string;
  level: CheckLevel;
  message: string;
}

/** Everything the checks read from the machine: the real one (environment.ts) or a fake in the unit tests. */
export interface DoctorEnv {
  config: Config;
  uid: number | undefined;
  probe(port: OwnPort): Promise<ProbeResult>;
  owner(port: OwnPort): PortOwner;
  /** A file's text, undefined when it cannot be read. */
  readFile(file: string): string | undefined;
  exists(file: string): boolean;
  which(bin: string): Promise<string | undefined>;
  /** Runs a program (bounded in time); ok false when it could not start or exited non-zero. */
  run(bin: string, args: string[]): Promise<{ ok: boolean; stdout: string; error?: string }>;
  /** Free bytes on the file system holding `dir`, undefined when unknown. */
  freeBytes(dir: string): number | undefined;
  /** Owner and permission bits, undefined when the path does not exist. */
  stat(file: string): { uid: number; mode: number; isDirectory: boolean } | undefined;
  writable(dir: string): boolean;
  lookup(host: string): Promise<string[]>;
  localAddresses(): string[];
  timezone(): string;
}

export type Check = (env: DoctorEnv) => Promise<CheckResult[]>;
