package gatehouse

// Pure decoding and validation of snapshots; no Caddy, no sockets.

import (
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

func TestCanonicalHashIgnoresFormatting(t *testing.T) {
	a, err := decodeSnapshot([]byte(`{"version":1,"routes":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := decodeSnapshot([]byte("{ \"routes\" : [ ],\n \"version\": 1 }"))
	if err != nil {
		t.Fatal(err)
	}
	if a.hash != b.hash {
		t.Fatalf("hashes differ: %s %s", a.hash, b.hash)
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

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add([]byte(`{"version":1,"routes":[{"id":"1","policy":{},"http":{"hosts":["a.test"],"handle":[{"handler":"static_response"}]}}]}`))
	f.Add([]byte(`{"version":7,"routes":[{"id":"13","policy":{"rate_limit":{"enabled":true,"requests":5,"window":"1m"}},"l4":{"network":"tcp","tls_mode":"passthrough","server_names":["*.x.test"],"ports":[{"port":2000,"handle":[{"handler":"proxy"}]}]}}]}`))
	f.Add([]byte(`{"version":18446744073709551615,"routes":null}`))
	f.Add([]byte(`{"routes":[{"l4":{"ports":[{"port":1e400}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := decodeSnapshot(data)
		if err != nil {
			return
		}
		_ = validateSnapshot(d.snap, 443)
		again, err := decodeSnapshot(d.raw)
		if err != nil {
			t.Fatalf("canonical form does not decode: %v", err)
		}
		if again.hash != d.hash {
			t.Fatalf("canonical form is not a fixed point")
		}
	})
}
