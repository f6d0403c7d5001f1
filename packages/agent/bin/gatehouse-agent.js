#!/usr/bin/env node
// `gatehouse-agent --server URL --token T`: the LAN agent alone (the same command as `gatehouse agent`).
// The package's own name resolves to dist/ when installed, and to src/ in the repository under the
// `gatehouse-source` condition (node --conditions=gatehouse-source --import tsx).
import { runAgentCommand } from '@gatehouse/agent';

function fail(message) {
  process.stderr.write(`gatehouse-agent: ${message}\n`);
  process.exit(1);
}

runAgentCommand(process.argv.slice(2), { fail, program: 'gatehouse-agent' }).catch((err) => {
  process.stderr.write(`gatehouse-agent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
