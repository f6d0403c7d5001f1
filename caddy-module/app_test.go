package gatehouse

// The app in-process. Real: Caddy module provisioning, caddyhttp's
// static_response and reverse_proxy, caddy-l4's proxy, the policy package,
// the state file in a temp dir. Nothing is stubbed.

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestApplyVersionRules(t *testing.T) {
	a := newTestApp(t, nil)
	mustPut(t, a, testSnapshot(5, staticRoute("1", "one", "a.test")))
	if res := mustPut(t, a, testSnapshot(5, staticRoute("1", "one", "a.test"))); res.Changed {
		t.Error("same version, same content: want a no-op")
	}
	var cerr *ConflictError
	if _, err := put(t, a, testSnapshot(4, staticRoute("1", "one", "a.test"))); !errors.As(err, &cerr) {
		t.Errorf("older version: want conflict, got %v", err)
	}
	if _, err := put(t, a, testSnapshot(5, staticRoute("1", "two", "a.test"))); !errors.As(err, &cerr) {
		t.Errorf("same version, other content: want conflict, got %v", err)
	}
	if got := serve(a, "a.test", "127.0.0.1").Body.String(); got != "one" {
		t.Errorf("body = %q", got)
	}
}

func TestRejectedSnapshotLeavesOldGenerationServing(t *testing.T) {
	a := newTestApp(t, nil)
	mustPut(t, a, testSnapshot(1, staticRoute("1", "old", "a.test")))
	before := a.generation()
	unitsBefore := len(a.units)
	bad := testSnapshot(2,
		staticRoute("1", "new", "a.test"),
		staticRoute("2", "new", "b.test"),
		obj{"id": "3", "policy": allowAll(), "http": obj{"hosts": arr{"c.test"}, "handle": arr{obj{"handler": "reverse_proxy", "no_such_field": 1}}}},
		obj{"id": "4", "policy": obj{"default": "allow", "rate_limit": obj{"requests": 0, "window": "2m"}}, "http": obj{"hosts": arr{"d.test"}, "handle": arr{obj{"handler": "static_response"}}}},
	)
	_, err := put(t, a, bad)
	paths := fieldPaths(err)
	for _, want := range []string{"routes[2].http.handle", "routes[3].policy.rate_limit.requests", "routes[3].policy.rate_limit.window"} {
		if !containsPath(paths, want) {
			t.Errorf("missing %s in %s", want, paths)
		}
	}
	if a.generation() != before {
		t.Fatal("generation changed")
	}
	if len(a.units) != unitsBefore {
		t.Errorf("units = %d, want %d (nothing provisioned may survive)", len(a.units), unitsBefore)
	}
	if got := serve(a, "a.test", "127.0.0.1").Body.String(); got != "old" {
		t.Errorf("body = %q, want old", got)
	}
	if serve(a, "b.test", "127.0.0.1").Code != 404 {
		t.Error("b.test must not be served")
	}
	persisted, _ := os.ReadFile(a.StateFile)
	if string(persisted) != string(before.raw) {
		t.Error("state file changed")
	}
}

func TestHostLookup(t *testing.T) {
	a := newTestApp(t, nil)
	mustPut(t, a, testSnapshot(1,
		staticRoute("exact", "exact", "app.example.com"),
		staticRoute("wild", "wild", "*.example.com"),
		staticRoute("deep", "deep", "*.b.example.com"),
	))
	for host, want := range map[string]string{
		"app.example.com":      "exact",
		"APP.example.com.":     "exact",
		"app.example.com:8443": "exact",
		"x.example.com":        "wild",
		"a.b.example.com":      "deep",
		"b.example.com":        "wild",
		"example.com":          "",
		"x.y.z.example.com":    "",
		"other.test":           "",
	} {
		w := serve(a, host, "127.0.0.1")
		if want == "" {
			if w.Code != 404 {
				t.Errorf("%s: code %d, want 404", host, w.Code)
			}
			continue
		}
		if w.Body.String() != want {
			t.Errorf("%s: body %q, want %q", host, w.Body.String(), want)
		}
	}
	for in, want := range map[string]string{
		"a.test": "a.test", "a.test:80": "a.test", "[::1]:80": "::1", "::1": "::1", "[::1]": "[::1]", ":80": "", "": "",
	} {
		if got := hostOnly(in); got != want {
			t.Errorf("hostOnly(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHTTPGuardUsesClientIPOnly(t *testing.T) {
	a := newTestApp(t, nil)
	r := staticRoute("1", "ok", "a.test")
	r["policy"] = onlyFrom("cidr", "10.0.0.0/8")
	rl := staticRoute("2", "ok", "rl.test")
	rl["policy"] = rateLimited(2, "1h")
	mustPut(t, a, testSnapshot(1, r, rl))
	if c := serve(a, "a.test", "10.1.2.3").Code; c != 200 {
		t.Errorf("whitelisted: %d", c)
	}
	if c := serve(a, "a.test", "::ffff:10.1.2.3").Code; c != 200 {
		t.Errorf("v4-mapped whitelisted: %d", c)
	}
	if c := serve(a, "a.test", "192.0.2.1").Code; c != 403 {
		t.Errorf("not whitelisted: %d", c)
	}
	for i := 0; i < 2; i++ {
		if c := serve(a, "rl.test", "192.0.2.9").Code; c != 200 {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	w := serve(a, "rl.test", "192.0.2.9")
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("over limit: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
}

func TestRateLimitStateSurvivesUnrelatedSwap(t *testing.T) {
	a := newTestApp(t, nil)
	rl := staticRoute("rl", "ok", "rl.test")
	rl["policy"] = rateLimited(1, "1h")
	mustPut(t, a, testSnapshot(1, rl))
	serve(a, "rl.test", "192.0.2.9")
	mustPut(t, a, testSnapshot(2, rl, staticRoute("x", "x", "x.test")))
	if c := serve(a, "rl.test", "192.0.2.9").Code; c != 429 {
		t.Errorf("after swap: %d, want 429 (counters carried over)", c)
	}
}

// TestSwapUnderConcurrentReaders swaps 1,000 snapshots, each with a changed
// reverse_proxy that runs active health checks, while readers hammer the
// handlers; afterwards every retired unit must be cleaned up and the
// goroutine count back at its baseline.
func TestSwapUnderConcurrentReaders(t *testing.T) {
	upstream := tagServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
	a := newTestApp(t, map[string]any{"grace_period": "1ms"})
	mustPut(t, a, testSnapshot(1, staticRoute("s", "stable", "stable.test")))
	runtime.GC()
	baseline := runtime.NumGoroutine()

	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad, reads atomic.Int64
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if w := serve(a, "stable.test", "127.0.0.1"); w.Body.String() != "stable" {
					bad.Add(1)
				}
				reads.Add(1)
				// Readers that never pause take both cores of a small CI
				// machine and made the 1,000 swaps take 45 s under -race;
				// a short pause keeps reads interleaved with every swap.
				time.Sleep(100 * time.Microsecond)
			}
		}()
	}
	swaps := 1000
	if testing.Short() {
		swaps = 200
	}
	for v := 2; v < swaps+2; v++ {
		mustPut(t, a, testSnapshot(v, staticRoute("s", "stable", "stable.test"), obj{"id": "rp", "policy": allowAll(), "http": obj{
			"hosts": arr{"rp.test"},
			"handle": arr{obj{"handler": "reverse_proxy", "upstreams": arr{obj{"dial": upstream}},
				"health_checks": obj{"active": obj{"uri": "/", "interval": "1h", "timeout": "1s"}},
				"headers":       obj{"request": obj{"set": obj{"X-Gen": arr{time.Now().String()}}}}}},
		}}))
	}
	stop.Store(true)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Errorf("%d reads saw something other than the stable route", n)
	}
	t.Logf("%d reads during %d swaps", reads.Load(), swaps)
	if n := reads.Load(); n < int64(swaps) {
		t.Errorf("only %d reads during %d swaps", n, swaps)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.mu.Lock()
		retiring, units := len(a.retiring), len(a.units)
		a.mu.Unlock()
		n := runtime.NumGoroutine()
		if retiring == 0 && units == 2 && n <= baseline+2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retiring=%d units=%d goroutines=%d baseline=%d", retiring, units, n, baseline)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPersistedStateServesAfterRestart(t *testing.T) {
	a := newTestApp(t, nil)
	mustPut(t, a, testSnapshot(3, staticRoute("1", "persisted", "a.test")))
	info, err := os.Stat(a.StateFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", info, err)
	}
	_ = a.Stop()
	_ = a.Cleanup()
	b := newTestApp(t, map[string]any{"state_file": a.StateFile})
	if g := b.generation(); g == nil || g.version != 3 {
		t.Fatalf("generation after restart: %+v", g)
	}
	if got := serve(b, "a.test", "127.0.0.1").Body.String(); got != "persisted" {
		t.Errorf("body = %q", got)
	}
}

func containsPath(paths, want string) bool {
	for _, p := range splitComma(paths) {
		if p == want {
			return true
		}
	}
	return false
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
