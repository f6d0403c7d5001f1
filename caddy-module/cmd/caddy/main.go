// Command caddy is Caddy with the layer4 app (caddy-l4) and the gatehouse
// module compiled in. It is a plain main so that the build needs nothing but
// the Go toolchain and the module proxy (no xcaddy download step).
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// Caddy's standard modules (http, tls, reverse_proxy, metrics, ...).
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	// The root package of caddy-l4 imports the layer4 app and all its
	// matcher and handler modules.
	_ "github.com/mholt/caddy-l4"

	// The gatehouse app, admin API, handlers and TLS permission module.
	_ "github.com/gatehouse/gatehouse/caddy-module"

	// Certificate storage in Redis (caddy.storage.redis), so several edges
	// share certificates and ACME locks (docs/scaling.md). Pinned in go.mod.
	_ "github.com/pberkel/caddy-storage-redis"
)

func main() {
	caddycmd.Main()
}
