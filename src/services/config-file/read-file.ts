import { open } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../../errors.ts';
import { CONFIG_FILE_LIMITS } from '../../schemas/config-file.ts';
import { type ParsedConfigFile, parseConfigText } from './parse.ts';

/** A configuration file from disk, read no further than the size limit (a huge file is refused, not loaded). */
export async function readConfigFile(file: string): Promise<ParsedConfigFile> {
  const name = path.basename(file);
  const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new ValidationError([{ field: 'file', message: `${file}: cannot be read (${err.code ?? err.message})` }]);
  });
  try {
    const buffer = Buffer.alloc(CONFIG_FILE_LIMITS.bytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > CONFIG_FILE_LIMITS.bytes)
      throw new ValidationError([
        { field: 'file', message: `${name}: is larger than ${CONFIG_FILE_LIMITS.bytes / 1024 / 1024} MiB` },
      ]);
    return parseConfigText(buffer.subarray(0, bytesRead).toString('utf8'), name);
  } finally {
    await handle.close();
  }
}
