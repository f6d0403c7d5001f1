package gatehouse

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehouse/gatehouse/caddy-module/snapshot"
)

func init() {
	caddy.RegisterModule(IdentityHeaders{})
}

// IdentityHeaders (http.handlers.gatehouse_identity) says who a client is
// to the upstream. It first deletes every identity header the client sent
// (Remote-User, Remote-Email, Remote-Groups, Remote-Name, in any case and
// with "_" or "." for "-", which CGI-style upstreams read as the same name;
// Caddy's server drops such names by default, this holds whatever it is
// configured to let through), for every client; then, when the client's address (Caddy's client_ip, which
// honours trusted_proxies) is a VPN peer's tunnel address in the current
// generation's peer table, it sets Remote-User and Remote-Name to the
// peer's name and Remote-Groups to its tags, comma-separated (none when it
// has no tags). The control plane puts it first in every HTTP route
// (src/caddy/identity-headers.ts).
//
// The table is the snapshot's ("peers", docs/snapshot.md), not the
// handler's: a peer change swaps the table with the generation and leaves
// every route's handler JSON, and so its provisioned handlers, untouched.
// The handler has no config fields for the same reason: its bytes are the
// same on every route and in every snapshot.
type IdentityHeaders struct {
	app *App
}

// CaddyModule returns the Caddy module information.
func (IdentityHeaders) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.gatehouse_identity",
		New: func() caddy.Module { return new(IdentityHeaders) },
	}
}

// Provision finds the gatehouse app, whose current generation holds the
// peer table.
func (h *IdentityHeaders) Provision(ctx caddy.Context) error {
	app, err := appFromContext(ctx)
	if err != nil {
		return err
	}
	h.app = app
	return nil
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *IdentityHeaders) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	for name := range r.Header {
		if isIdentityHeader(name) {
			delete(r.Header, name)
		}
	}
	if g := h.app.generation(); g != nil {
		if addr, ok := clientAddr(r); ok {
			if p, ok := g.peers.lookup(addr); ok {
				// fresh slices: a later handler may edit a header in place
				r.Header["Remote-User"] = []string{p.name}
				r.Header["Remote-Name"] = []string{p.name}
				if p.groups != "" {
					r.Header["Remote-Groups"] = []string{p.groups}
				}
			}
		}
	}
	return next.ServeHTTP(w, r)
}

// identityHeaders are the names only Gatehouse sets (canonical form).
var identityHeaders = [...]string{"Remote-User", "Remote-Email", "Remote-Groups", "Remote-Name"}

// isIdentityHeader reports whether a request header name is one of
// identityHeaders up to case and "_" or "." for "-" (CGI-style upstreams
// map all three to REMOTE_USER); it allocates nothing.
func isIdentityHeader(name string) bool {
	if len(name) < len("Remote-Name") || !strings.EqualFold(name[:6], "remote") {
		return false
	}
	if sep := name[6]; sep != '-' && sep != '_' && sep != '.' {
		return false
	}
	for _, want := range identityHeaders {
		if len(name) == len(want) && strings.EqualFold(name[7:], want[7:]) {
			return true
		}
	}
	return false
}

// peerIdentity is one peer's header values, ready to set.
type peerIdentity struct {
	name   string
	groups string // tags joined with ","; "" sets no Remote-Groups
}

// peerTable is a generation's peer identities by tunnel address; the
// source entries are kept so that the next build can reuse an unchanged
// table instead of building it again.
type peerTable struct {
	byAddr map[netip.Addr]peerIdentity
	src    []snapshot.Peer
}

// newPeerTable builds the table of a validated snapshot, or returns prev
// when its entries are the same (a route-only change).
func newPeerTable(peers []snapshot.Peer, prev *peerTable) *peerTable {
	if prev != nil && slices.EqualFunc(prev.src, peers, samePeer) {
		return prev
	}
	t := &peerTable{byAddr: make(map[netip.Addr]peerIdentity, len(peers)), src: peers}
	for _, p := range peers {
		addr, err := netip.ParseAddr(p.Address)
		if err != nil {
			continue // reported by snapshot.Validate
		}
		t.byAddr[addr] = peerIdentity{name: p.Name, groups: strings.Join(p.Tags, ",")}
	}
	return t
}

func samePeer(a, b snapshot.Peer) bool {
	return a.Address == b.Address && a.Name == b.Name && slices.Equal(a.Tags, b.Tags)
}

// lookup finds the peer with this tunnel address.
func (t *peerTable) lookup(addr netip.Addr) (peerIdentity, bool) {
	if t == nil {
		return peerIdentity{}, false
	}
	p, ok := t.byAddr[addr]
	return p, ok
}

// UnmarshalCaddyfile accepts `gatehouse_identity` without arguments.
func (h *IdentityHeaders) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next()
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*IdentityHeaders)(nil)
	_ caddyhttp.MiddlewareHandler = (*IdentityHeaders)(nil)
	_ caddyfile.Unmarshaler       = (*IdentityHeaders)(nil)
)
