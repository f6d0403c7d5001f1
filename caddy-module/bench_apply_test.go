package gatehouse

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkApplyOneChangeAt5000 applies a 5,000-route snapshot in which one
// route changed: the cost the control plane pays per write.
func BenchmarkApplyOneChangeAt5000(b *testing.B) {
	a := newTestApp(b, map[string]any{"grace_period": "1ms"})
	mk := func(v int) []byte {
		routes := arr{}
		for i := 0; i < 5000; i++ {
			body := "x"
			if i == 0 {
				body = fmt.Sprint(v)
			}
			routes = append(routes, obj{"id": fmt.Sprint(i), "http": obj{"hosts": arr{fmt.Sprintf("r%d.test", i)},
				"handle": arr{obj{"handler": "reverse_proxy", "upstreams": arr{obj{"dial": "127.0.0.1:9"}}, "headers": obj{"request": obj{"set": obj{"X": arr{body}}}}}}}})
		}
		raw, _ := json.Marshal(snapshot(v, routes...))
		return raw
	}
	d, _ := decodeSnapshot(mk(1))
	if _, err := a.apply(d, false); err != nil {
		b.Fatal(err)
	}
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = mk(i + 2)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := decodeSnapshot(bodies[i])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.apply(d, false); err != nil {
			b.Fatal(err)
		}
	}
}
