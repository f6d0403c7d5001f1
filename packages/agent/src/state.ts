import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { type GatewayConfig, GatewayConfigSchema } from '@gatehouse/protocol';

const FILE = 'last-config.json';

/**
 * The last configuration the agent applied, kept so that a restart while the server is unreachable still
 * forwards. Written atomically (temp file, fsync, rename) with mode 0600: it names LAN hosts and ports.
 */
export async function saveLastConfig(dir: string, config: GatewayConfig): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, FILE);
  const temp = path.join(dir, `.${FILE}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(config));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** The saved configuration, or undefined when there is none or it no longer validates (then it is ignored). */
export async function loadLastConfig(dir: string): Promise<{ config?: GatewayConfig; problem?: string }> {
  let text: string;
  try {
    text = await readFile(path.join(dir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: (err as Error).message };
  }
  try {
    const parsed = GatewayConfigSchema.safeParse(JSON.parse(text));
    return parsed.success ? { config: parsed.data } : { problem: parsed.error.issues[0]?.message ?? 'invalid' };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}
