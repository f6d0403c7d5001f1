package snapshot

// Pure decoding of snapshots; no Caddy, no sockets.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeStrictReportsEveryUnknownFieldWithPath(t *testing.T) {
	_, err := Decode([]byte(`{"version":1,"extra":true,"routes":[
		{"id":"a","http":{"hosts":["a.test"],"handle":[{"handler":"static_response"}],"hostz":1}},
		{"id":"b","policy":{"default":"deny","rules":[{"action":"allow","conditions":[{"type":"ip","valuez":[]}]}]},"l4":{"network":"tcp","tls_mode":"none","ports":[{"port":"80","handle":[]}]}}]}`))
	got := fieldPaths(err)
	for _, want := range []string{"extra", "routes[0].http.hostz", "routes[1].policy.rules[0].conditions[0].valuez", "routes[1].l4.ports[0].port"} {
		if !strings.Contains(","+got+",", ","+want+",") {
			t.Errorf("missing error at %s; got %s", want, got)
		}
	}
}

func TestDecodeRejectsTrailingDataAndBadJSON(t *testing.T) {
	for _, in := range []string{`{"version":1,"routes":[]} {}`, `{"version":`, `[]`, `null`, `{"version":-1,"routes":[]}`, `{"version":1.5,"routes":[]}`} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}

func TestHashIsTheBodysSHA256(t *testing.T) {
	body := `{"version":1,"routes":[]}`
	a, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if a.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("hash = %s, want the SHA-256 of the body", a.Hash)
	}
	b, _ := Decode([]byte("\n " + body + "\n"))
	if b.Hash != a.Hash {
		t.Error("surrounding whitespace changed the hash")
	}
	c, _ := Decode([]byte(`{"routes":[],"version":1}`))
	if c.Hash == a.Hash {
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
		{"duplicate key", `{"version":1,"routes":[{"id":"a","policy":{"default":"deny","rules":[{"action":"deny"}]},"policy":{"default":"allow"},"http":{"hosts":["a.test"],"handle":[{}]}}]}`, true},
		{"trailing data", `{"version":1,"routes":[]} x`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, plain := scanBody([]byte(tt.json))
			if plain && decodeFast([]byte(tt.json)) != nil && tt.name != "plain" {
				t.Error("took the fast path")
			}
			d, err := Decode([]byte(tt.json))
			if (err == nil) != tt.valid {
				t.Fatalf("err = %v, want valid=%v", err, tt.valid)
			}
			if tt.name == "duplicate key" && (d.Snapshot.Routes[0].Policy.Rules != nil || d.Snapshot.Routes[0].Policy.Default != "allow") {
				t.Error("a repeated key must replace, not merge (as the shape check read it)")
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
	const other = `{"version":1,"routes":[{"id":"1","policy":{"default":"allow"},"http":{"hosts":["a.test"],"handle":[{"handler":"static_response"}]}},{"id":"2","l4":{"network":"udp","tls_mode":"none","ports":[{"port":53,"handle":[{"handler":"proxy"}]}]}}]}`
	f.Add([]byte(other))
	f.Add([]byte(`{"version":2,"routes":[{"id":"1","policy":{},"http":{"hosts":["a.test"],"handle":[{"handler":"static_response"}]}}, 1]}`))
	f.Add([]byte(`{"version":7,"routes":[{"id":"13","policy":{"default":"deny","rules":[{"action":"allow","name":"office","conditions":[{"type":"peer_tag","not":true,"values":["staff"],"addresses":["10.8.0.3"]},{"type":"time","days":["mon"],"from":"08:00","to":"18:00","tz":"Europe/Berlin"}]}],"rate_limit":{"requests":5,"window":"1m"}},"l4":{"network":"tcp","tls_mode":"passthrough","server_names":["*.x.test"],"ports":[{"port":2000,"handle":[{"handler":"proxy"}]}]}}]}`))
	f.Add([]byte(`{"version":3,"routes":[],"peers":[{"address":"10.8.0.2","name":"ann","tags":["a"]},{"address":"10.8.0.3","name":"b","routes":[]}]}`))
	f.Add([]byte(`{"version":18446744073709551615,"routes":null}`))
	f.Add([]byte(`{"routes":[{"l4":{"ports":[{"port":1e400}]}}]}`))
	f.Add([]byte(`{"Routes":[{"ID":"1","Policy":{"Rules":[{"Conditions":[{"Values":["1.2.3.4"]}]}]}}],"version":2}`))
	otherLay, _ := scanBody([]byte(other))
	_, otherCache := decodeReusing([]byte(other), otherLay, nil)
	if otherCache == nil {
		f.Fatal("the seed snapshot does not take the fast path")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(data)
		if err != nil {
			return
		}
		_ = Validate(d.Snapshot, 443)
		if d.Hash != snapshotHash(d.Raw) {
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
	first, err := Decode([]byte(`{"version":1,"routes":[` + a + `,` + b + `]}`))
	if err != nil || first.Cache == nil {
		t.Fatalf("first: %v, cache %v", err, first.Cache)
	}
	const b2 = `{"id":"b","http":{"hosts":["b.test"],"handle":[{"handler":"static_response","body":"B"}]}}`
	second, err := DecodeReusing([]byte("{\"version\":2,\"routes\":[\n  "+b2+",\n  "+a+"\n]}"), first.Cache)
	if err != nil {
		t.Fatal(err)
	}
	if second.Snapshot.Version != 2 || len(second.Snapshot.Routes) != 2 {
		t.Fatalf("decoded %+v", second.Snapshot)
	}
	if second.Snapshot.Routes[1].HTTP != first.Snapshot.Routes[0].HTTP {
		t.Error("the unchanged route was decoded again")
	}
	if second.Snapshot.Routes[0].HTTP == first.Snapshot.Routes[1].HTTP || string(second.Snapshot.Routes[0].HTTP.Handle[0]) != `{"handler":"static_response","body":"B"}` {
		t.Error("the changed route was not decoded")
	}
	// what the reuse cannot vouch for goes to the shape check
	for body, path := range map[string]string{
		`{"version":3,"routes":[` + a + `,1]}`:                    "routes[1]",
		`{"version":3,"routes":[` + a + `,{"id":"c","hostz":1}]}`: "routes[1].hostz",
		`{"version":3,"routes":[` + a + `],"routes_":[]}`:         "routes_",
	} {
		_, err := DecodeReusing([]byte(body), first.Cache)
		if !strings.Contains(fieldPaths(err), path) {
			t.Errorf("%s: errors %s, want %s", body, fieldPaths(err), path)
		}
	}
}

// fieldPaths lists a ValidationError's paths, comma-separated.
func fieldPaths(err error) string {
	ve, ok := err.(*ValidationError)
	if !ok {
		return fmt.Sprintf("not a validation error: %v", err)
	}
	var ps []string
	for _, e := range ve.Errors {
		ps = append(ps, e.Path)
	}
	return strings.Join(ps, ",")
}
