import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

/** PATH lookup without a shell. */
export async function findOnPath(bin: string, envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, bin);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
