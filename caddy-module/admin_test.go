package gatehouse

// The admin API's HTTP contract, in-process through its handler. Real: the
// app, decoding, the policy package. Nothing is stubbed.

import (
	"errors"

	"encoding/json"
	"github.com/caddyserver/caddy/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func adminDo(t *testing.T, a *App, method, path, body string) (int, map[string]any) {
	t.Helper()
	api := &AdminAPI{app: func() *App { return a }}
	req := httptest.NewRequest(method, "http://admin"+path, strings.NewReader(body))
	w := httptest.NewRecorder()
	if err := api.serve(w, req); err != nil {
		code := 500
		var ae caddy.APIError
		if errors.As(err, &ae) {
			code = ae.HTTPStatus
		}
		return code, map[string]any{"error": err.Error()}
	}
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func TestAdminStateLifecycle(t *testing.T) {
	a := newTestApp(t, nil)
	mk := func(v int, body string) string {
		b, _ := json.Marshal(testSnapshot(v, staticRoute("1", body, "a.test")))
		return string(b)
	}
	if code, _ := adminDo(t, a, "PUT", "/gatehouse/v1/state", mk(2, "two")); code != 200 {
		t.Fatalf("put: %d", code)
	}
	if code, _ := adminDo(t, a, "PUT", "/gatehouse/v1/state", mk(1, "one")); code != 409 {
		t.Errorf("older: %d", code)
	}
	if code, _ := adminDo(t, a, "PUT", "/gatehouse/v1/state", mk(2, "other")); code != 409 {
		t.Errorf("same version, other content: %d", code)
	}
	code, body := adminDo(t, a, "PUT", "/gatehouse/v1/state", `{"version":3,"routes":[],"surprise":1}`)
	if code != 422 || !strings.Contains(toJSON(body), `"path":"surprise"`) {
		t.Errorf("unknown field: %d %v", code, body)
	}
	if code, _ := adminDo(t, a, "POST", "/gatehouse/v1/validate", mk(9, "nine")); code != 200 {
		t.Errorf("validate: %d", code)
	}
	code, body = adminDo(t, a, "GET", "/gatehouse/v1/state", "")
	if code != 200 || body["version"].(float64) != 2 || len(body["hash"].(string)) != 64 || body["applied_at"] == nil {
		t.Errorf("state: %d %v", code, body)
	}
	if got := serve(a, "a.test", "127.0.0.1").Body.String(); got != "two" {
		t.Errorf("validate applied something: %q", got)
	}
	code, body = adminDo(t, a, "GET", "/gatehouse/v1/health", "")
	if code != 200 || body["status"] != "ok" {
		t.Errorf("health: %d %v", code, body)
	}
}

func TestAdminExplain(t *testing.T) {
	a := newTestApp(t, nil)
	r := staticRoute("7", "x", "a.test")
	r["policy"] = denyFrom("cidr", "203.0.113.0/24")
	mustPut(t, a, testSnapshot(1, r))
	code, body := adminDo(t, a, "GET", "/gatehouse/v1/explain?route=7&ip=::ffff:203.0.113.5", "")
	dec, _ := body["decision"].(map[string]any)
	if code != 200 || dec["allowed"] != false || dec["check"] != "rule" || dec["rule_index"] != 0.0 || dec["rule"] != "#1 deny cidr 203.0.113.0/24" || body["ip"] != "203.0.113.5" {
		t.Errorf("explain: %d %v", code, body)
	}
	if code, _ := adminDo(t, a, "GET", "/gatehouse/v1/explain?route=nope&ip=1.2.3.4", ""); code != 404 {
		t.Errorf("unknown route: %d", code)
	}
	if code, _ := adminDo(t, a, "GET", "/gatehouse/v1/explain?route=7&ip=banana", ""); code != 400 {
		t.Errorf("bad ip: %d", code)
	}
	if code, _ := adminDo(t, a, "DELETE", "/gatehouse/v1/state", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("delete: %d", code)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
