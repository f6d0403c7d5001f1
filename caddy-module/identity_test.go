package gatehouse

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// The identity headers of VPN peers (issue 16) come from the snapshot's
// peer table, read by gatehouse_identity at request time (identity.go). Real:
// the app, snapshot decoding and apply, Caddy's provisioning of the route's
// handler chain (gatehouse_identity then a recording handler). Simulated:
// requests are served in-process with the client_ip var Caddy's server sets.

func init() {
	caddy.RegisterModule(identityRecorder{})
}

// identityProvisions counts provisionings of identityRecorder: a route whose
// chain is re-provisioned provisions it again.
var identityProvisions atomic.Int64

// identityRecorder (http.handlers.gatehouse_test_identity_recorder) answers
// with the identity headers its request reached it with.
type identityRecorder struct{}

func (identityRecorder) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.gatehouse_test_identity_recorder",
		New: func() caddy.Module { return new(identityRecorder) },
	}
}

func (*identityRecorder) Provision(caddy.Context) error {
	identityProvisions.Add(1)
	return nil
}

func (*identityRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	var out string
	for _, name := range []string{"Remote-User", "Remote-Name", "Remote-Groups", "Remote-Email", "Remote_User", "remote-user"} {
		out += name + "=" + joinValues(r.Header[name]) + ";"
	}
	_, err := w.Write([]byte(out))
	return err
}

func joinValues(vs []string) string {
	out := ""
	for i, v := range vs {
		if i > 0 {
			out += "+"
		}
		out += v
	}
	return out
}

// identityRoute is the same route in every snapshot of these tests: its
// bytes do not depend on the peers.
func identityRoute() obj {
	return obj{"id": "who", "policy": allowAll(), "http": obj{"hosts": arr{"who.test"}, "handle": arr{
		obj{"handler": "gatehouse_identity"},
		obj{"handler": "gatehouse_test_identity_recorder"},
	}}}
}

func identitySnapshot(version int, peers ...obj) obj {
	s := testSnapshot(version, identityRoute())
	list := arr{}
	for _, p := range peers {
		list = append(list, p)
	}
	s["peers"] = list
	return s
}

// serveIdentity sends a request with hostile identity headers from clientIP.
func serveIdentity(a *App, clientIP string) string {
	req := httptest.NewRequest(http.MethodGet, "http://who.test/", nil)
	req.Header.Set("Remote-User", "admin")
	req.Header.Set("Remote-Email", "root@example.test")
	req.Header.Set("Remote-Groups", "owners")
	req.Header.Set("Remote-Name", "Evil")
	req.Header["Remote_User"] = []string{"admin"} // read as REMOTE_USER by CGI-style upstreams
	req.Header["remote-user"] = []string{"admin"} // not canonical: set by a handler, never by Go's parser
	ctx := context.WithValue(req.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
	ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: clientIP})
	w := httptest.NewRecorder()
	routes := &HTTPRoutes{app: a, Fallback: "404"}
	guard := &HTTPGuard{app: a}
	_ = guard.ServeHTTP(w, req.WithContext(ctx), caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return routes.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil }))
	}))
	return w.Body.String()
}

const nobody = "Remote-User=;Remote-Name=;Remote-Groups=;Remote-Email=;Remote_User=;remote-user=;"

func TestIdentityHeadersFollowThePeerTableWithoutReprovisioning(t *testing.T) {
	a := newTestApp(t, nil)
	mustPut(t, a, identitySnapshot(1, obj{"address": "10.8.0.2", "name": "alice-laptop", "tags": arr{"dev", "staff"}}))
	unitBefore := a.generation().hosts["who.test"].unit
	provisioned := identityProvisions.Load()

	if got, want := serveIdentity(a, "10.8.0.2"), "Remote-User=alice-laptop;Remote-Name=alice-laptop;Remote-Groups=dev,staff;Remote-Email=;Remote_User=;remote-user=;"; got != want {
		t.Errorf("peer: got %q, want %q", got, want)
	}
	// Not a peer: every identity header the client sent is gone, nothing set.
	if got := serveIdentity(a, "10.8.0.9"); got != nobody {
		t.Errorf("non-peer: got %q, want %q", got, nobody)
	}
	// IPv4-mapped IPv6 is the same client.
	if got := serveIdentity(a, "::ffff:10.8.0.2"); got[:len("Remote-User=alice-laptop")] != "Remote-User=alice-laptop" {
		t.Errorf("mapped address: got %q", got)
	}

	// A peer-only change: the route's bytes are the same, so its chain is
	// not provisioned again, and the new name is served at once.
	mustPut(t, a, identitySnapshot(2, obj{"address": "10.8.0.2", "name": "alice-desktop"}))
	if got, want := serveIdentity(a, "10.8.0.2"), "Remote-User=alice-desktop;Remote-Name=alice-desktop;Remote-Groups=;Remote-Email=;Remote_User=;remote-user=;"; got != want {
		t.Errorf("renamed peer: got %q, want %q", got, want)
	}
	if n := identityProvisions.Load() - provisioned; n != 0 {
		t.Errorf("a peer-only change provisioned the route's handlers %d times, want 0", n)
	}
	if a.generation().hosts["who.test"].unit != unitBefore {
		t.Error("a peer-only change replaced the route's unit")
	}

	// The peer gone from the table: nobody, still without provisioning.
	mustPut(t, a, identitySnapshot(3))
	if got := serveIdentity(a, "10.8.0.2"); got != nobody {
		t.Errorf("removed peer: got %q, want %q", got, nobody)
	}
	if n := identityProvisions.Load() - provisioned; n != 0 {
		t.Errorf("removing a peer provisioned the route's handlers %d times, want 0", n)
	}

	// The counter does count: a route whose handler chain changed is
	// provisioned once.
	changed := identitySnapshot(4)
	h := changed["routes"].(arr)[0].(obj)["http"].(obj)
	h["handle"] = append(arr{obj{"handler": "vars", "changed": "1"}}, h["handle"].(arr)...)
	mustPut(t, a, changed)
	if n := identityProvisions.Load() - provisioned; n != 1 {
		t.Errorf("a route change provisioned %d times, want 1", n)
	}
}

// The table is swapped under requests in flight: every request sees one
// whole table, the old or the new, never a mix and never a client's own
// headers.
func TestIdentityHeadersHotSwapUnderLoad(t *testing.T) {
	a := newTestApp(t, map[string]any{"grace_period": "1ms"})
	names := []string{"peer-a", "peer-b"}
	peer := func(v int) obj {
		return obj{"address": "10.8.0.2", "name": names[v%2], "tags": arr{names[v%2]}}
	}
	mustPut(t, a, identitySnapshot(1, peer(1)))
	valid := map[string]bool{}
	for _, n := range names {
		valid["Remote-User="+n+";Remote-Name="+n+";Remote-Groups="+n+";Remote-Email=;Remote_User=;remote-user=;"] = true
	}
	provisioned := identityProvisions.Load()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad, reads atomic.Int64
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if !valid[serveIdentity(a, "10.8.0.2")] {
					bad.Add(1)
				}
				reads.Add(1)
			}
		}()
	}
	for v := 2; v < 202; v++ {
		mustPut(t, a, identitySnapshot(v, peer(v)))
	}
	stop.Store(true)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Errorf("%d of %d reads saw a mixed or missing identity", n, reads.Load())
	}
	if n := identityProvisions.Load() - provisioned; n != 0 {
		t.Errorf("200 peer-only swaps provisioned the route %d times, want 0", n)
	}
}

func TestIsIdentityHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"Remote-User": true, "remote-email": true, "REMOTE_GROUPS": true, "Remote_Name": true, "remote.user": true,
		"Remote-Users": false, "Remote-Addr": false, "X-Remote-User": false, "Remote": false, "": false,
		"Remote+User": false, "RemoteXUser": false,
	} {
		if got := isIdentityHeader(name); got != want {
			t.Errorf("isIdentityHeader(%q) = %v, want %v", name, got, want)
		}
	}
}
