package gatehouse

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/mholt/caddy-l4/layer4"
)

// unit is one provisioned handler chain in its own child context. Units are
// shared by every generation whose route has the same id and the same
// handler JSON, so an unrelated swap does not re-provision a route (and
// reverse_proxy does not close its WebSockets on the old copy's Cleanup).
type unit struct {
	key    string    // ident and handler hash: a.units' key
	ident  unitIdent // the route (and port) it serves
	handle []json.RawMessage
	ctx    caddy.Context
	cancel context.CancelFunc
	refs   int    // generations holding it; guarded by App.mu
	seen   uint64 // App.buildSeq of the last build that took it; guarded by App.mu
	http   *caddyhttp.Route
	l4     layer4.Handler
}

// unitIdent names what a unit serves: an HTTP route, or one port of an L4
// route (port is zero for HTTP).
type unitIdent struct {
	route string
	port  l4Key
}

func (id unitIdent) String() string {
	if id.port == (l4Key{}) {
		return "http\x00" + id.route
	}
	return "l4\x00" + id.route + "\x00" + id.port.String()
}

// handleHash identifies a handler chain by its bytes. The control plane
// serialises deterministically, so equal chains arrive as equal bytes; a
// chain that differs only in formatting costs a re-provisioning, nothing
// more.
func handleHash(handle []json.RawMessage) string {
	h := sha256.New()
	for _, m := range handle {
		h.Write(m)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func equalHandles(a, b []json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
