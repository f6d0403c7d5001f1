package gatehouse

// Pure decoding and validation of snapshots; no Caddy, no sockets.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeStrictReportsEveryUnknownFieldWithPath(t *testing.T) {
	_, err := decodeSnapshot([]byte(`{"version":1,"extra":true,"routes":[
		{"id":"a","http":{"hosts":["a.test"],"handle":[{"handler":"static_response"}],"hostz":1}},
		{"id":"b","policy":{"acl":{"enabled":true,"alow":[]}},"l4":{"network":"tcp","tls_mode":"none","ports":[{"port":"80","handle":[]}]}}]}`))
	got := fieldPaths(err)
	for _, want := range []string{"extra", "routes[0].http.hostz", "routes[1].policy.acl.alow", "routes[1].l4.ports[0].port"} {
		if !strings.Contains(","+got+",", ","+want+",") {
			t.Errorf("missing error at %s; got %s", want, got)
		}
	}
}

func TestDecodeRejectsTrailingDataAndBadJSON(t *testing.T) {
	for _, in := range []string{`{"version":1,"routes":[]} {}`, `{"version":`, `[]`, `null`, `{"version":-1,"routes":[]}`, `{"version":1.5,"routes":[]}`} {
		if _, err := decodeSnapshot([]byte(in)); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}

func TestHashIsTheBodysSHA256(t *testing.T) {
	body := `{"version":1,"routes":[]}`
	a, err := decodeSnapshot([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if a.hash != hex.EncodeToString(sum[:]) {
		t.Errorf("hash = %s, want the SHA-256 of the body", a.hash)
	}
	b, _ := decodeSnapshot([]byte("\n " + body + "\n"))
	if b.hash != a.hash {
		t.Error("surrounding whitespace changed the hash")
	}
	c, _ := decodeSnapshot([]byte(`{"routes":[],"version":1}`))
	if c.hash == a.hash {
		t.Error("other bytes, same hash: the hash is of the bytes (docs/snapshot.md)")
	}
}

// The fast path must hand everything it does not read exactly like the
// shape check to the slow path, which then decides as it always did.
func TestFastPathDefersToTheShapeCheck(t *testing.T) {
	const route = `{"id":"a","http":{"hosts":["a.test"],"handle":[{"handler":"static_response"}]}}`
	tests := []struct {
		name, json string
		valid      bool
	}{
		{"plain", `{"version":1,"routes":[` + route + `]}`, true},
		{"null slice", `{"version":1,"routes":null}`, true},
		{"null string", `{"version":1,"routes":[{"id":null,"http":{"hosts":["a.test"],"handle":[{}]}}]}`, false},
		{"null top level", `null`, false},
		{"folded key", `{"Version":1,"routes":[]}`, false},
		{"kelvin sign", `{"version":1,"routes":[{"id":"a","l4":{"networK":"tcp","network":"tcp","tls_mode":"none","ports":[{"port":1,"handle":[{}]}]}}]}`, false},
		{"escaped key", `{"versio\u006e":1,"routes":[]}`, true},
		{"duplicate key", `{"version":1,"routes":[{"id":"a","policy":{"acl":{"enabled":true}},"policy":{},"http":{"hosts":["a.test"],"handle":[{}]}}]}`, true},
		{"trailing data", `{"version":1,"routes":[]} x`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, plain := scanBody([]byte(tt.json))
			if plain && decodeFast([]byte(tt.json)) != nil && tt.name != "plain" {
				t.Error("took the fast path")
			}
			d, err := decodeSnapshot([]byte(tt.json))
			if (err == nil) != tt.valid {
				t.Fatalf("err = %v, want valid=%v", err, tt.valid)
			}
			if tt.name == "duplicate key" && d.snap.Routes[0].Policy.ACL != nil {
				t.Error("a repeated key must replace, not merge (as the shape check read it)")
			}
		})
	}
}

func TestValidateSnapshot(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		paths []string
	}{
		{"version zero", `{"version":0,"routes":[]}`, []string{"version"}},
		{"route kinds", `{"version":1,"routes":[{"id":"a"},{"id":"a","http":{"hosts":["x.test"],"handle":[{}]},"l4":{"network":"tcp","tls_mode":"none","ports":[]}}]}`,
			[]string{"routes[0]", "routes[1].id", "routes[1]"}},
		{"hosts", `{"version":1,"routes":[{"id":"a","http":{"hosts":["X.test","ok.test","*.","a..b"],"handle":[{}]}},{"id":"b","http":{"hosts":["ok.test"],"handle":[]}}]}`,
			[]string{"routes[0].http.hosts[0]", "routes[0].http.hosts[2]", "routes[0].http.hosts[3]", "routes[1].http.hosts[0]", "routes[1].http.handle"}},
		{"l4 fields", `{"version":1,"routes":[{"id":"a","l4":{"network":"sctp","tls_mode":"x","ports":[{"port":0,"handle":[{}]}]}},{"id":"b","l4":{"network":"udp","tls_mode":"passthrough","ports":[{"port":5,"handle":[{}]}]}}]}`,
			[]string{"routes[0].l4.network", "routes[0].l4.tls_mode", "routes[0].l4.ports[0].port", "routes[1].l4.tls_mode", "routes[1].l4.server_names"}},
		{"port sharing", `{"version":1,"routes":[
			{"id":"a","l4":{"network":"tcp","tls_mode":"none","ports":[{"port":2000,"handle":[{}]}]}},
			{"id":"b","l4":{"network":"tcp","tls_mode":"passthrough","server_names":["b.test"],"ports":[{"port":2000,"handle":[{}]}]}},
			{"id":"c","l4":{"network":"udp","tls_mode":"none","ports":[{"port":2000,"handle":[{}]}]}},
			{"id":"d","l4":{"network":"tcp","tls_mode":"passthrough","server_names":["d.test"],"ports":[{"port":3000,"handle":[{}]}]}},
			{"id":"e","l4":{"network":"tcp","tls_mode":"terminate","server_names":["d.test","e.test"],"ports":[{"port":3000,"handle":[{}]}]}},
			{"id":"f","l4":{"network":"tcp","tls_mode":"none","ports":[{"port":443,"handle":[{}]}]}}]}`,
			[]string{"routes[1].l4.ports[0].port", "routes[4].l4.ports[0].port", "routes[5].l4.ports[0].port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := decodeSnapshot([]byte(tt.json))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			errs := validateSnapshot(d.snap, 443)
			var got []string
			for _, e := range errs {
				got = append(got, e.Path)
			}
			if strings.Join(got, ",") != strings.Join(tt.paths, ",") {
				t.Errorf("paths = %v, want %v (%v)", got, tt.paths, errs)
			}
		})
	}
}

// FuzzDecodeSnapshot: decoding never panics, and the fast paths agree
// with the slow one: whatever the one-pass decoding or the route-reusing
// decoding accepts (reusing nothing, the routes of the same body, or those
// of another), the shape check accepts too and decodes to the same
// snapshot (handler JSON compared by content, as the slow path re-encodes
// it).
func FuzzDecodeSnapshot(f *testing.F) {
	const other = `{"version":1,"routes":[{"id":"1","policy":{},"http":{"hosts":["a.test"],"handle":[{"handler":"static_response"}]}},{"id":"2","l4":{"network":"udp","tls_mode":"none","ports":[{"port":53,"handle":[{"handler":"proxy"}]}]}}]}`
	f.Add([]byte(other))
	f.Add([]byte(`{"version":2,"routes":[{"id":"1","policy":{},"http":{"hosts":["a.test"],"handle":[{"handler":"static_response"}]}}, 1]}`))
	f.Add([]byte(`{"version":7,"routes":[{"id":"13","policy":{"rate_limit":{"enabled":true,"requests":5,"window":"1m"}},"l4":{"network":"tcp","tls_mode":"passthrough","server_names":["*.x.test"],"ports":[{"port":2000,"handle":[{"handler":"proxy"}]}]}}]}`))
	f.Add([]byte(`{"version":18446744073709551615,"routes":null}`))
	f.Add([]byte(`{"routes":[{"l4":{"ports":[{"port":1e400}]}}]}`))
	f.Add([]byte(`{"Routes":[{"ID":"1","Policy":{"ACL":{"Allow":["1.2.3.4"]}}}],"version":2}`))
	otherLay, _ := scanBody([]byte(other))
	_, otherCache := decodeReusing([]byte(other), otherLay, nil)
	if otherCache == nil {
		f.Fatal("the seed snapshot does not take the fast path")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := decodeSnapshot(data)
		if err != nil {
			return
		}
		_ = validateSnapshot(d.snap, 443)
		if d.hash != snapshotHash(d.raw) {
			t.Fatal("hash is not the raw body's")
		}
		lay, plain := scanBody(data)
		if !plain {
			return
		}
		slow, slowErr := decodeSlow(data)
		agree := func(path string, s *Snapshot) {
			if s == nil {
				return
			}
			if slowErr != nil {
				t.Fatalf("%s accepted what the shape check rejects: %v", path, slowErr)
			}
			if !sameSnapshot(s, slow) {
				t.Fatalf("%s and the shape check decode differently:\n%+v\n%+v", path, s, slow)
			}
		}
		agree("the one-pass decoding", decodeFast(data))
		fresh, cache := decodeReusing(data, lay, nil)
		agree("the route-reusing decoding", fresh)
		again, _ := decodeReusing(data, lay, cache)
		agree("the route-reusing decoding (own routes)", again)
		mixed, _ := decodeReusing(data, lay, otherCache)
		agree("the route-reusing decoding (other routes)", mixed)
	})
}

// sameSnapshot compares decoded snapshots, handler JSON by content.
func sameSnapshot(a, b *Snapshot) bool {
	norm := func(s *Snapshot) *Snapshot {
		c := *s
		c.Routes = append([]Route(nil), s.Routes...)
		for i := range c.Routes {
			r := &c.Routes[i]
			if r.HTTP != nil {
				h := *r.HTTP
				h.Handle = canonHandles(h.Handle)
				r.HTTP = &h
			}
			if r.L4 != nil {
				l := *r.L4
				l.Ports = append([]L4Port(nil), l.Ports...)
				for j := range l.Ports {
					l.Ports[j].Handle = canonHandles(l.Ports[j].Handle)
				}
				r.L4 = &l
			}
		}
		return &c
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func canonHandles(hs []json.RawMessage) []json.RawMessage {
	if hs == nil {
		return nil
	}
	out := make([]json.RawMessage, len(hs))
	for i, h := range hs {
		tree, err := decodeTree(h)
		if err != nil {
			out[i] = h
			continue
		}
		out[i], _ = canonicalJSON(tree)
	}
	return out
}

func TestUnchangedRoutesAreReusedNotDecoded(t *testing.T) {
	const a = `{"id":"a","http":{"hosts":["a.test"],"handle":[{"handler":"static_response","body":"a"}]}}`
	const b = `{"id":"b","http":{"hosts":["b.test"],"handle":[{"handler":"static_response","body":"b"}]}}`
	first, err := decodeSnapshot([]byte(`{"version":1,"routes":[` + a + `,` + b + `]}`))
	if err != nil || first.cache == nil {
		t.Fatalf("first: %v, cache %v", err, first.cache)
	}
	const b2 = `{"id":"b","http":{"hosts":["b.test"],"handle":[{"handler":"static_response","body":"B"}]}}`
	second, err := decodeSnapshotReusing([]byte("{\"version\":2,\"routes\":[\n  "+b2+",\n  "+a+"\n]}"), first.cache)
	if err != nil {
		t.Fatal(err)
	}
	if second.snap.Version != 2 || len(second.snap.Routes) != 2 {
		t.Fatalf("decoded %+v", second.snap)
	}
	if second.snap.Routes[1].HTTP != first.snap.Routes[0].HTTP {
		t.Error("the unchanged route was decoded again")
	}
	if second.snap.Routes[0].HTTP == first.snap.Routes[1].HTTP || string(second.snap.Routes[0].HTTP.Handle[0]) != `{"handler":"static_response","body":"B"}` {
		t.Error("the changed route was not decoded")
	}
	// what the reuse cannot vouch for goes to the shape check
	for body, path := range map[string]string{
		`{"version":3,"routes":[` + a + `,1]}`:                    "routes[1]",
		`{"version":3,"routes":[` + a + `,{"id":"c","hostz":1}]}`: "routes[1].hostz",
		`{"version":3,"routes":[` + a + `],"routes_":[]}`:         "routes_",
	} {
		_, err := decodeSnapshotReusing([]byte(body), first.cache)
		if !strings.Contains(fieldPaths(err), path) {
			t.Errorf("%s: errors %s, want %s", body, fieldPaths(err), path)
		}
	}
}
