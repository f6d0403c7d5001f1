package snapshot

import (
	"strings"
	"testing"
)

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
		{"hostile peers", `{"version":1,"routes":[],"peers":[
			{"address":"10.8.0.2","name":"ann","tags":["staff","dev"]},
			{"address":"10.8.0.2","name":"ann again"},
			{"address":"::ffff:10.8.0.3","name":"mapped"},
			{"address":"fe80::1%eth0","name":"zoned"},
			{"address":"10.8.0.300","name":"x"},
			{"address":"10.8.0.4","name":""},
			{"address":"10.8.0.5","name":"evil\r\nX-Admin: 1"},
			{"address":"10.8.0.6","name":"` + strings.Repeat("ü", 65) + `"},
			{"address":"10.8.0.7","name":"ok","tags":["Staff","a,b","staff","staff","-x"]}]}`,
			[]string{"peers[1].address", "peers[2].address", "peers[3].address", "peers[4].address", "peers[5].name",
				"peers[6].name", "peers[7].name", "peers[8].tags[0]", "peers[8].tags[1]", "peers[8].tags[3]", "peers[8].tags[4]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode([]byte(tt.json))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			errs := Validate(d.Snapshot, 443)
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
