package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// changeCost times one route change at each size through the gatehouse
// module's PUT state and through Caddy's own POST /load of the equivalent
// static config. Both request bodies are encoded before the clock starts:
// the figure is what the server spends, not the benchmark's encoder.
func changeCost(tmp, backend string) {
	var sizes []int
	for _, s := range strings.Split(*sizesArg, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		sizes = append(sizes, n)
	}
	fmt.Printf("== change cost (one of N routes changed, plus one stream route; median of %d, request bodies encoded before the clock starts; dropped = of 8 upgraded connections through the unchanged stream route)\n", *changes)
	fmt.Printf("  %6s %14s %8s %14s %8s %8s\n", "routes", "PUT state", "dropped", "POST /load", "dropped", "speedup")
	for _, n := range sizes {
		gh, ghDrop := gatehouseChange(tmp, backend, n)
		ld, ldDrop := loadChange(tmp, backend, n)
		fmt.Printf("  %6d %14s %8d %14s %8d %7.1fx\n", n, gh.Round(time.Microsecond), ghDrop, ld.Round(time.Microsecond), ldDrop, float64(ld)/float64(gh))
		reportChange(n, gh, ghDrop, ld, ldDrop)
	}
	fmt.Println("  goal: >= 10x at 5000 routes, 0 dropped for PUT state")
}

func routeHosts(n int) []string {
	hs := make([]string, n)
	for i := range hs {
		hs[i] = fmt.Sprintf("r%d.bench", i)
	}
	return hs
}

func gatehouseChange(tmp, backend string, n int) (time.Duration, int) {
	port := freePort()
	c := startCaddy(tmp, fmt.Sprintf("gh%d", n), obj{
		"admin":   obj{"listen": "unix/" + filepath.Join(tmp, fmt.Sprintf("gh%d.sock", n))},
		"logging": obj{"logs": obj{"default": obj{"level": "ERROR"}}},
		"apps": obj{
			"gatehouse": obj{"state_file": filepath.Join(tmp, fmt.Sprintf("gh%d-state.json", n)), "shared_https_port": 1, "grace_period": "100ms"},
			"http":      obj{"servers": obj{"s": server(port, arr{obj{"handler": "gatehouse_guard"}, obj{"handler": "gatehouse_routes"}})}},
		},
	})
	defer c.stop()
	// every route has a policy of its own, as routes of a real snapshot do;
	// unchanged ones keep their compiled form across the PUT
	routePolicy := obj{"default": "allow", "rate_limit": obj{"requests": 100, "window": "1m"}, "rules": arr{
		obj{"action": "deny", "conditions": arr{obj{"type": "cidr", "values": arr{"198.51.100.0/24", "203.0.113.0/24"}}}},
		obj{"action": "deny", "conditions": arr{obj{"type": "time", "days": arr{"sun"}, "from": "02:00", "to": "04:00", "tz": "Europe/Berlin"}}},
	}}
	snap := func(v, changed int) obj {
		routes := arr{}
		for i, h := range routeHosts(n) {
			hdr := "0"
			if i == n-1 {
				hdr = strconv.Itoa(changed)
			}
			routes = append(routes, obj{"id": strconv.Itoa(i), "policy": routePolicy, "http": obj{"hosts": arr{h}, "handle": arr{obj{"handler": "reverse_proxy",
				"upstreams": arr{obj{"dial": backend}}, "headers": obj{"request": obj{"set": obj{"X-V": arr{hdr}}}}}}}})
		}
		routes = append(routes, obj{"id": "stream", "policy": obj{"default": "allow"}, "http": obj{"hosts": arr{"stream.bench"}, "handle": arr{obj{"handler": "reverse_proxy",
			"upstreams": arr{obj{"dial": backend}}}}}})
		return obj{"version": v, "routes": routes}
	}
	if code, body := c.admin("PUT", "/gatehouse/v1/state", mustJSON(snap(1, 0))); code != 200 {
		fatalf("PUT base: %d %s", code, body)
	}
	bodies := make([][]byte, *changes)
	for i := range bodies {
		bodies[i] = mustJSON(snap(i+2, i+1))
	}
	return measureChanges(port, "stream.bench", func(i int) {
		if code, body := c.admin("PUT", "/gatehouse/v1/state", bodies[i]); code != 200 {
			fatalf("PUT: %d %s", code, body)
		}
	})
}

func loadChange(tmp, backend string, n int) (time.Duration, int) {
	port := freePort()
	sock := filepath.Join(tmp, fmt.Sprintf("ld%d.sock", n))
	conf := func(changed int) obj {
		routes := arr{}
		for i, h := range routeHosts(n) {
			hdr := "0"
			if i == n-1 {
				hdr = strconv.Itoa(changed)
			}
			routes = append(routes, obj{"match": arr{obj{"host": arr{h}}}, "terminal": true, "handle": arr{obj{"handler": "reverse_proxy",
				"upstreams": arr{obj{"dial": backend}}, "headers": obj{"request": obj{"set": obj{"X-V": arr{hdr}}}}}}})
		}
		routes = append(routes, obj{"match": arr{obj{"host": arr{"stream.bench"}}}, "terminal": true, "handle": arr{obj{"handler": "reverse_proxy",
			"upstreams": arr{obj{"dial": backend}}}}})
		return obj{
			"admin":   obj{"listen": "unix/" + sock},
			"logging": obj{"logs": obj{"default": obj{"level": "ERROR"}}},
			"apps": obj{"http": obj{"grace_period": "100ms", "servers": obj{"s": obj{"listen": arr{"127.0.0.1:" + strconv.Itoa(port)},
				"automatic_https": obj{"disable": true}, "routes": routes}}}},
		}
	}
	c := startCaddy(tmp, fmt.Sprintf("ld%d", n), conf(0))
	defer c.stop()
	bodies := make([][]byte, *changes)
	for i := range bodies {
		bodies[i] = mustJSON(conf(i + 1))
	}
	return measureChanges(port, "stream.bench", func(i int) {
		if code, body := c.admin("POST", "/load", bodies[i]); code != 200 {
			fatalf("POST /load: %d %s", code, body)
		}
	})
}

// measureChanges opens upgraded connections through host, times the
// changes and counts the connections that no longer echo afterwards.
func measureChanges(port int, host string, change func(i int)) (time.Duration, int) {
	const streams = 8
	var conns []*bufio.ReadWriter
	var raw []net.Conn
	for i := 0; i < streams; i++ {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		check(err)
		raw = append(raw, c)
		fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", host)
		rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(rw.Reader, nil)
		if err != nil || resp.StatusCode != 101 {
			fatalf("upgrade through %s: %v %v", host, resp, err)
		}
		conns = append(conns, rw)
	}
	defer func() {
		for _, c := range raw {
			c.Close()
		}
	}()
	var times []time.Duration
	for i := 0; i < *changes; i++ {
		start := time.Now()
		change(i)
		times = append(times, time.Since(start))
		time.Sleep(300 * time.Millisecond) // past both grace periods
	}
	dropped := 0
	for i, rw := range conns {
		_ = raw[i].SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = rw.WriteString("ping\n")
		_ = rw.Flush()
		if line, err := rw.ReadString('\n'); err != nil || line != "ping\n" {
			dropped++
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2], dropped
}

// reportChange hands one size's change cost to the harness; the goals
// (README.md) hold at 5,000 routes: ≥ 10× faster than POST /load and no
// upgraded connection dropped by PUT state.
func reportChange(n int, gh time.Duration, ghDrop int, ld time.Duration, ldDrop int) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	speed := measure{Measure: fmt.Sprintf("one change at %d routes: PUT state vs POST /load", n), Unit: "ms",
		Ours: ms(gh), Peer: ptr(ms(ld)), PeerName: "POST /load", Ratio: ptr(float64(ld) / float64(gh)),
		Note: fmt.Sprintf("ratio is /load's time over ours; median of %d changes", *changes)}
	drop := measure{Measure: fmt.Sprintf("one change at %d routes: upgraded connections dropped", n), Unit: "of 8",
		Ours: float64(ghDrop), Peer: ptr(float64(ldDrop)), PeerName: "POST /load"}
	if n == 5000 {
		speed.Goal, speed.Met = "ratio ≥ 10", ptr(*speed.Ratio >= 10)
		drop.Goal, drop.Met = "0 dropped", ptr(ghDrop == 0)
	}
	report(speed, drop)
}
