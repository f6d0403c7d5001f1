package gatehouse

// Access policies through the app: the guard's login var, path and method
// conditions, the L4 restrictions, the ASN database, the reuse of unchanged
// compiled policies, and explain for an address and a time. Real: the app,
// the guard, the admin handler, mmdbs written here. Nothing is stubbed.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/gatehouse/gatehouse/caddy-module/policy/mmdbtest"
)

func TestHTTPGuardSetsLoginVar(t *testing.T) {
	a := newTestApp(t, nil)
	r := staticRoute("1", "ok", "a.test")
	r["policy"] = obj{"default": "deny", "rules": arr{
		obj{"action": "allow", "conditions": arr{obj{"type": "peer_tag", "values": arr{"staff"}, "addresses": arr{"10.8.0.3"}}}},
		obj{"action": "allow", "login": true, "conditions": arr{obj{"type": "cidr", "values": arr{"192.0.2.0/24"}}}},
	}}
	mustPut(t, a, testSnapshot(1, r))
	loginVar := func(ip string) any {
		req := httptest.NewRequest(http.MethodGet, "http://a.test/", nil)
		ctx := context.WithValue(req.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
		ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: ip})
		var got any = "not reached"
		guard := &HTTPGuard{app: a}
		err := guard.ServeHTTP(httptest.NewRecorder(), req.WithContext(ctx), caddyhttp.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) error {
			got = caddyhttp.GetVar(r.Context(), "gatehouse_login")
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for ip, want := range map[string]any{"10.8.0.3": nil, "192.0.2.7": "1", "198.51.100.1": "not reached"} {
		if got := loginVar(ip); got != want {
			t.Errorf("%s: gatehouse_login = %v, want %v", ip, got, want)
		}
	}
	if w := serve(a, "a.test", "198.51.100.1"); w.Code != 403 {
		t.Errorf("default deny: %d", w.Code)
	}
}

func TestHTTPGuardPathAndMethod(t *testing.T) {
	a := newTestApp(t, nil)
	r := staticRoute("1", "ok", "a.test")
	r["policy"] = obj{"default": "allow", "rules": arr{
		obj{"action": "deny", "conditions": arr{obj{"type": "path_prefix", "values": arr{"/admin"}}, obj{"type": "cidr", "not": true, "values": arr{"10.0.0.0/8"}}}},
		obj{"action": "deny", "conditions": arr{obj{"type": "method", "values": arr{"DELETE"}}}},
	}}
	mustPut(t, a, testSnapshot(1, r))
	for _, tt := range []struct {
		method, url, ip string
		want            int
	}{
		{"GET", "http://a.test/admin", "192.0.2.1", 403},
		{"GET", "http://a.test/admin/x", "192.0.2.1", 403},
		{"GET", "http://a.test/static/../admin", "192.0.2.1", 403},
		{"GET", "http://a.test/%61dmin", "192.0.2.1", 403},
		{"GET", "http://a.test/adminx", "192.0.2.1", 200},
		{"GET", "http://a.test/admin", "10.1.2.3", 200},
		{"DELETE", "http://a.test/x", "10.1.2.3", 403},
	} {
		if w := serveRequest(a, tt.method, tt.url, tt.ip); w.Code != tt.want {
			t.Errorf("%s %s from %s: %d, want %d", tt.method, tt.url, tt.ip, w.Code, tt.want)
		}
	}
}

func TestL4PolicyRestrictions(t *testing.T) {
	a := newTestApp(t, nil)
	r := l4Proxy("1", "tcp", "none", nil, 40001, "127.0.0.1:9")
	r["policy"] = obj{"default": "deny", "login": true, "rules": arr{
		obj{"action": "allow", "login": true, "conditions": arr{obj{"type": "path_prefix", "values": arr{"/"}}, obj{"type": "method", "values": arr{"GET"}}}},
	}}
	_, err := put(t, a, testSnapshot(1, r))
	paths := fieldPaths(err)
	for _, want := range []string{"routes[0].policy.login", "routes[0].policy.rules[0].login", "routes[0].policy.rules[0].conditions[0].type", "routes[0].policy.rules[0].conditions[1].type"} {
		if !containsPath(paths, want) {
			t.Errorf("missing %s in %s", want, paths)
		}
	}
}

func TestPolicyNeedsItsDatabases(t *testing.T) {
	asnPolicy := obj{"default": "deny", "rules": arr{obj{"action": "allow", "conditions": arr{obj{"type": "asn", "values": arr{"3320"}}}}}}
	r := staticRoute("1", "ok", "a.test")
	r["policy"] = asnPolicy
	_, err := put(t, newTestApp(t, nil), testSnapshot(1, r))
	if !containsPath(fieldPaths(err), "routes[0].policy.rules[0].conditions[0].type") {
		t.Fatalf("an asn condition without asn_db: %v", err)
	}

	db := filepath.Join(t.TempDir(), "asn.mmdb")
	if err := mmdbtest.WriteFile(db, map[string]string{"192.0.2.0/24": "3320"}, mmdbtest.Options{Format: mmdbtest.FormatASN}); err != nil {
		t.Fatal(err)
	}
	a := newTestApp(t, map[string]any{"asn_db": db})
	mustPut(t, a, testSnapshot(1, r))
	if w := serve(a, "a.test", "192.0.2.9"); w.Code != 200 {
		t.Errorf("AS3320: %d", w.Code)
	}
	if w := serve(a, "a.test", "198.51.100.9"); w.Code != 403 {
		t.Errorf("another AS: %d", w.Code)
	}
	code, body := adminDo(t, a, "GET", "/gatehouse/v1/health", "")
	if info, _ := body["asn"].(map[string]any); code != 200 || info["database_type"] != "GeoLite2-ASN" {
		t.Errorf("health lists no asn database: %v", body)
	}
}

func TestUnchangedPolicyKeepsItsCompiledForm(t *testing.T) {
	a := newTestApp(t, nil)
	r := staticRoute("1", "ok", "a.test")
	r["policy"] = rateLimited(5, "1m")
	mustPut(t, a, testSnapshot(1, r, staticRoute("2", "x", "b.test")))
	before := a.generation().routes["1"]
	mustPut(t, a, testSnapshot(2, r, staticRoute("2", "y", "b.test")))
	if a.generation().routes["1"] != before {
		t.Error("an unchanged policy was compiled again")
	}
	r["policy"] = rateLimited(6, "1m")
	mustPut(t, a, testSnapshot(3, r, staticRoute("2", "y", "b.test")))
	if a.generation().routes["1"] == before {
		t.Error("a changed policy kept the old compiled form")
	}
}

func TestAdminExplainAtMethodPath(t *testing.T) {
	a := newTestApp(t, nil)
	r := staticRoute("7", "x", "a.test")
	r["policy"] = obj{"name": "office", "default": "deny", "rate_limit": obj{"requests": 3, "window": "1m"}, "rules": arr{
		obj{"action": "deny", "conditions": arr{obj{"type": "path_prefix", "values": arr{"/admin"}}}},
		obj{"action": "allow", "login": true, "conditions": arr{
			obj{"type": "time", "days": arr{"mon", "tue", "wed", "thu", "fri"}, "from": "08:00", "to": "18:00", "tz": "Europe/Berlin"},
		}},
	}}
	mustPut(t, a, testSnapshot(1, r))
	serve(a, "a.test", "192.0.2.1") // counts, if now is office hours; else denied and not counted

	// Thursday 2026-01-01 12:00 UTC is 13:00 in Berlin
	code, body := adminDo(t, a, "GET", "/gatehouse/v1/explain?route=7&ip=192.0.2.1&at=2026-01-01T12:00:00Z&method=GET&path=/x", "")
	dec, _ := body["decision"].(map[string]any)
	if code != 200 || dec["allowed"] != true || dec["check"] != "rule" || dec["rule_index"] != 1.0 || dec["login"] != true ||
		dec["rule"] != "#2 allow time mon,tue,wed,thu,fri 08:00-18:00 Europe/Berlin (login)" ||
		body["at"] != "2026-01-01T12:00:00Z" || body["policy"] != "office" || body["rules"] != 2.0 || body["route"] != "7" {
		t.Errorf("explain in office hours: %d %s", code, toJSON(body))
	}
	if rl, _ := dec["rate_limit"].(map[string]any); rl["requests"] != 3.0 || rl["window"] != "1m" || rl["remaining"] == nil {
		t.Errorf("rate_limit: %v", dec["rate_limit"])
	}
	_, body = adminDo(t, a, "GET", "/gatehouse/v1/explain?route=7&ip=192.0.2.1&at=2026-01-03T12:00:00Z", "")
	if dec, _ := body["decision"].(map[string]any); dec["check"] != "default" || dec["rule_index"] != nil || dec["rule"] != "default deny" {
		t.Errorf("explain on a Saturday: %s", toJSON(body))
	}
	_, body = adminDo(t, a, "GET", "/gatehouse/v1/explain?route=7&ip=192.0.2.1&at=2026-01-01T12:00:00Z&path=/admin/x", "")
	if dec, _ := body["decision"].(map[string]any); dec["rule_index"] != 0.0 || dec["allowed"] != false {
		t.Errorf("explain /admin/x: %s", toJSON(body))
	}
	for _, q := range []string{"&at=yesterday", "&method=get", "&path=x"} {
		if code, _ := adminDo(t, a, "GET", "/gatehouse/v1/explain?route=7&ip=192.0.2.1"+q, ""); code != 400 {
			t.Errorf("%s: %d, want 400", q, code)
		}
	}
}

func TestAdminExplainPolicy(t *testing.T) {
	a := newTestApp(t, nil)
	body := toJSON(obj{"kind": "http", "ip": "10.8.0.3", "at": "2026-01-01T12:00:00Z", "policy": obj{
		"name": "vpn", "default": "deny", "rate_limit": obj{"requests": 1, "window": "1s"},
		"rules": arr{obj{"action": "allow", "conditions": arr{obj{"type": "peer", "values": arr{"3"}, "addresses": arr{"10.8.0.3"}}}}},
	}})
	for range 2 { // never counted: the second answer is the same
		code, resp := adminDo(t, a, "POST", "/gatehouse/v1/explain", body)
		dec, _ := resp["decision"].(map[string]any)
		rl, _ := dec["rate_limit"].(map[string]any)
		if code != 200 || dec["allowed"] != true || dec["rule"] != "#1 allow peer 3" || resp["route"] != nil || resp["policy"] != "vpn" || rl["used"] != 0.0 {
			t.Fatalf("POST explain: %d %s", code, toJSON(resp))
		}
	}
	bad := toJSON(obj{"kind": "l4", "ip": "nope", "at": "noon", "extra": 1, "policy": obj{"default": "deny", "rules": arr{
		obj{"action": "allow", "conditions": arr{obj{"type": "method", "values": arr{"GET"}}, obj{"type": "cidr", "values": arr{"10.0.0.1/8"}}}},
	}}})
	code, resp := adminDo(t, a, "POST", "/gatehouse/v1/explain", bad)
	if code != 422 || !strings.Contains(toJSON(resp), `"path":"extra"`) {
		t.Errorf("unknown field: %d %s", code, toJSON(resp))
	}
	bad = strings.Replace(bad, `"extra":1,`, "", 1)
	code, resp = adminDo(t, a, "POST", "/gatehouse/v1/explain", bad)
	var got struct {
		Errors []struct{ Path string } `json:"errors"`
	}
	_ = json.Unmarshal([]byte(toJSON(resp)), &got)
	var paths []string
	for _, e := range got.Errors {
		paths = append(paths, e.Path)
	}
	want := "ip,at,policy.rules[0].conditions[0].type,policy.rules[0].conditions[1].values[0]"
	if code != 422 || strings.Join(paths, ",") != want {
		t.Errorf("invalid: %d %v, want paths %s", code, paths, want)
	}
}
