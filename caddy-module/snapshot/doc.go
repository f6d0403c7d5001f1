// Package snapshot decodes and validates the data-plane snapshot the
// control plane PUTs to the gatehouse admin API (docs/snapshot.md). It is
// pure: no Caddy, no sockets. The gatehouse app turns a valid snapshot into
// provisioned handler chains.
//
// A body is decoded by one of three paths that accept exactly the same
// bodies and decode them to the same Snapshot (FuzzDecodeSnapshot): the
// route-reusing decoding (routecache.go), one encoding/json pass, and the
// shape check (shape.go), which reports every error with its JSON path.
// The fixtures in testdata/*.json are the TypeScript compiler's golden
// output (test/unit/snapshot-compiler.test.ts), so the contract is tested
// from both sides.
package snapshot
