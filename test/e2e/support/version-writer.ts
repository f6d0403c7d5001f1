// One writer process of test/e2e/scale-db.test.ts: bumps the config version N times against a libSQL server,
// each in its own write transaction through Gatehouse's queue and deadline, and prints each version it got.
// Any BUSY that survives the retries fails the process (exit 1).
import { createDb } from '../../../src/db/index.ts';
import { withWriteRetry } from '../../../src/db/retry.ts';
import { bumpVersion } from '../../../src/services/config/version.ts';

const [url, count] = process.argv.slice(2);
const handle = createDb({ url: url!, deadlineMs: 10_000 });
for (let i = 0; i < Number(count); i++) {
  const version = await withWriteRetry(() => handle.db.transaction((tx) => bumpVersion(tx, new Date())));
  process.stdout.write(`${version}\n`);
}
handle.close();
