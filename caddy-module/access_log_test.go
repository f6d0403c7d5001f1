package gatehouse

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gatehouse/gatehouse/caddy-module/internal/testnet"
)

// observeAccess points the app's access log at an in-memory observer.
func observeAccess(a *App) *observer.ObservedLogs {
	core, logs := observer.New(zapcore.InfoLevel)
	a.access = zap.New(core).Named(AccessLoggerName)
	return logs
}

// waitEntries waits (bounded) for n access entries: an L4 entry is
// written when its connection ends, on the connection's goroutine.
func waitEntries(t *testing.T, logs *observer.ObservedLogs, n int) []observer.LoggedEntry {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for logs.Len() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if logs.Len() < n {
		t.Fatalf("%d access entries, want %d", logs.Len(), n)
	}
	return logs.All()
}

func TestAccessLogHTTPEntries(t *testing.T) {
	a := newTestApp(t, nil)
	logs := observeAccess(a)
	r := staticRoute("7", "hello", "a.test")
	r["policy"] = obj{"default": "deny", "rules": arr{
		obj{"action": "allow", "conditions": arr{obj{"type": "cidr", "values": arr{"10.0.0.0/8"}}}},
	}}
	mustPut(t, a, testSnapshot(1, r))
	if c := serve(a, "a.test", "10.1.2.3").Code; c != 200 {
		t.Fatalf("allowed: %d", c)
	}
	if c := serve(a, "a.test", "192.0.2.1").Code; c != 403 {
		t.Fatalf("denied: %d", c)
	}
	es := waitEntries(t, logs, 2)
	ok, denied := es[0].ContextMap(), es[1].ContextMap()
	if es[0].LoggerName != AccessLoggerName {
		t.Errorf("logger %q", es[0].LoggerName)
	}
	if ok["route"] != "7" || ok["kind"] != "http" || ok["client"] != "10.1.2.3" || ok["decision"] != "allow" ||
		ok["status"] != int64(200) || ok["bytes_out"] != int64(len("hello")) || ok["host"] != "a.test" {
		t.Errorf("allowed entry: %v", ok)
	}
	if ok["check"] != "rule" || ok["rule_index"] != int64(0) || ok["rule"] != "#1 allow cidr 10.0.0.0/8" {
		t.Errorf("allowed entry's rule: %v", ok)
	}
	if denied["decision"] != "deny" || denied["check"] != "default" || denied["rule"] != "default deny" ||
		denied["rule_index"] != int64(-1) ||
		denied["status"] != int64(403) || denied["client"] != "192.0.2.1" {
		t.Errorf("denied entry: %v", denied)
	}
	if _, has := denied["duration"]; !has {
		t.Errorf("no duration: %v", denied)
	}
}

func TestAccessLogL4Entries(t *testing.T) {
	a := newTestApp(t, nil)
	logs := observeAccess(a)
	port := testnet.UnusedPort(t, "tcp")
	mustPut(t, a, testSnapshot(1, l4Proxy("9", "tcp", "none", nil, port, tagServer(t, "TAG"))))
	if got := dialRead(t, port, []byte("hi")); got != "TAG" {
		t.Fatalf("through the route: %q", got)
	}
	e := waitEntries(t, logs, 1)[0].ContextMap()
	if e["route"] != "9" || e["kind"] != "tcp" || e["decision"] != "allow" || e["client"] != "127.0.0.1" ||
		e["bytes_out"] != int64(3) {
		t.Errorf("l4 entry: %v", e)
	}
}

func TestAccessLogOffBuildsNothing(t *testing.T) {
	a := newTestApp(t, nil)
	core, logs := observer.New(zapcore.WarnLevel) // a log that does not take INFO
	a.access = zap.New(core)
	mustPut(t, a, testSnapshot(1, staticRoute("1", "ok", "a.test")))
	if c := serve(a, "a.test", "10.1.2.3").Code; c != 200 {
		t.Fatalf("status %d", c)
	}
	if logs.Len() != 0 || a.accessOn() {
		t.Errorf("entries with the access log off: %d", logs.Len())
	}
}
