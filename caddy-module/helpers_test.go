package gatehouse

// Test helpers. Real: Caddy's module loading and provisioning (through
// caddy.ProvisionContext), caddyhttp and caddy-l4 handlers, loopback
// sockets on free ports, the policy package. Simulated: nothing is stubbed;
// HTTP requests are served in-process through the handler modules with the
// vars Caddy's server would set (client_ip).

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/mholt/caddy-l4"

	"github.com/gatehouse/gatehouse/caddy-module/snapshot"
)

// newTestApp provisions and starts a gatehouse app the way Caddy would,
// with its state file in a temp dir. extra is merged into its JSON config.
func newTestApp(t testing.TB, extra map[string]any) *App {
	t.Helper()
	cfg := map[string]any{
		"state_file":        filepath.Join(t.TempDir(), "state.json"),
		"grace_period":      "50ms",
		"listen_host":       "127.0.0.1",
		"shared_https_port": 1, // keep 443 semantics out of unit tests
	}
	for k, v := range extra {
		cfg[k] = v
	}
	raw, _ := json.Marshal(cfg)
	ctx, err := caddy.ProvisionContext(&caddy.Config{AppsRaw: caddy.ModuleMap{"gatehouse": raw}})
	if err != nil {
		t.Fatalf("provisioning: %v", err)
	}
	v, err := ctx.App("gatehouse")
	if err != nil {
		t.Fatal(err)
	}
	a := v.(*App)
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = a.Stop()
		_ = a.Cleanup()
	})
	return a
}

// put decodes and applies a snapshot given as a Go value.
func put(t testing.TB, a *App, snap any) (applyResult, error) {
	t.Helper()
	raw, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	d, err := snapshot.DecodeReusing(raw, a.routeCache())
	if err != nil {
		return applyResult{}, err
	}
	return a.apply(d, false)
}

func mustPut(t testing.TB, a *App, snap any) applyResult {
	t.Helper()
	res, err := put(t, a, snap)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

type obj = map[string]any
type arr = []any

func testSnapshot(version int, routes ...any) obj {
	if routes == nil {
		routes = arr{}
	}
	return obj{"version": version, "routes": routes}
}

func staticRoute(id, body string, hosts ...string) obj {
	return obj{"id": id, "policy": allowAll(), "http": obj{"hosts": hosts, "handle": arr{obj{"handler": "static_response", "body": body}}}}
}

func l4Proxy(id, network, mode string, names []string, port int, dial string) obj {
	r := obj{"network": network, "tls_mode": mode, "ports": arr{obj{"port": port, "handle": arr{
		obj{"handler": "proxy", "upstreams": arr{obj{"dial": arr{dial}}}},
	}}}}
	if names != nil {
		r["server_names"] = names
	}
	return obj{"id": id, "policy": allowAll(), "l4": r}
}

// serve runs a request through [gatehouse_guard, gatehouse_routes] with
// the context Caddy's HTTP server would give it.
func serve(a *App, host, clientIP string) *httptest.ResponseRecorder {
	return serveRequest(a, http.MethodGet, "http://"+host+"/", clientIP)
}

// serveRequest is serve with a method and a URL.
func serveRequest(a *App, method, target, clientIP string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	repl := caddy.NewReplacer()
	ctx := context.WithValue(req.Context(), caddy.ReplacerCtxKey, repl)
	ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: clientIP})
	req = req.WithContext(ctx)
	w := httptest.NewRecorder()
	guard := &HTTPGuard{app: a}
	routes := &HTTPRoutes{app: a, Fallback: "404"}
	err := guard.ServeHTTP(w, req, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return routes.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil }))
	}))
	if herr, ok := err.(caddyhttp.HandlerError); ok {
		w.Code = herr.StatusCode
	} else if err != nil {
		w.Code = 599
	}
	return w
}

// tagServer accepts TCP connections and answers each with its tag.
func tagServer(t testing.TB, tag string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = c.Write([]byte(tag))
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				buf := make([]byte, 4096)
				_, _ = c.Read(buf) // let the client's bytes arrive before closing
			}()
		}
	}()
	return ln.Addr().String()
}

func fieldPaths(err error) string {
	ve, ok := err.(*snapshot.ValidationError)
	if !ok {
		return fmt.Sprintf("not a validation error: %v", err)
	}
	var ps []string
	for _, e := range ve.Errors {
		ps = append(ps, e.Path)
	}
	return strings.Join(ps, ",")
}

// allowAll is the policy that lets everyone in.
func allowAll() obj { return obj{"default": "allow"} }

// onlyFrom lets in the clients a condition of this type and values matches.
func onlyFrom(typ string, values ...string) obj {
	return obj{"default": "deny", "rules": arr{obj{"action": "allow", "conditions": arr{obj{"type": typ, "values": values}}}}}
}

// denyFrom keeps out the clients a condition of this type and values matches.
func denyFrom(typ string, values ...string) obj {
	return obj{"default": "allow", "rules": arr{obj{"action": "deny", "conditions": arr{obj{"type": typ, "values": values}}}}}
}

// rateLimited lets everyone in, n per window.
func rateLimited(n int, window string) obj {
	return obj{"default": "allow", "rate_limit": obj{"requests": n, "window": window}}
}
