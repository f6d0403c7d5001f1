// Command dataplane measures the cost of the gatehouse guard and of a route
// change against Caddy's own alternatives, in one run, and prints ratios.
// See README.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type obj = map[string]any
type arr = []any

var (
	caddyBin = flag.String("caddy", "", "caddy binary (default: build ../../caddy-module/cmd/caddy)")
	duration = flag.Duration("duration", 4*time.Second, "load duration per guard-cost target")
	workers  = flag.Int("c", 32, "concurrent keep-alive clients")
	sizesArg = flag.String("sizes", "1,100,1000,5000", "route counts for the change cost")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	tmp, err := os.MkdirTemp("", "gatehouse-bench-")
	check(err)
	defer os.RemoveAll(tmp)
	if *caddyBin == "" {
		*caddyBin = filepath.Join(tmp, "caddy")
		run("../../caddy-module", "go", "build", "-o", *caddyBin, "./cmd/caddy")
	}
	mmdb := filepath.Join(tmp, "country.mmdb")
	cmd := exec.Command("go", "run", "./cmd/mkmmdb", "-format", "iplocationdb", "-out", mmdb)
	cmd.Dir = "../../caddy-module"
	cmd.Stdin = strings.NewReader(`{"127.0.0.0/8":"DE","10.0.0.0/8":"FR"}`)
	cmd.Stderr = os.Stderr
	check(cmd.Run())

	backend := startBackend()
	guardCost(tmp, mmdb, backend)
	changeCost(tmp, backend)
}

// ---- guard cost ----

func guardCost(tmp, mmdb, backend string) {
	authPort := freePort()
	node := exec.Command("node", "-e", nodeAuth, strconv.Itoa(authPort))
	node.Stdout, node.Stderr = os.Stderr, os.Stderr
	check(node.Start())
	defer node.Process.Kill()
	plainPort, guardPort, faPort := freePort(), freePort(), freePort()
	cfg := obj{
		"admin": obj{"listen": "unix/" + filepath.Join(tmp, "g.sock")},
		"logging": obj{"logs": obj{"default": obj{"level": "ERROR"}}},
		"apps": obj{
			"gatehouse": obj{"state_file": filepath.Join(tmp, "g-state.json"), "geoip_db": mmdb, "shared_https_port": 1},
			"http": obj{"servers": obj{
				"plain": server(plainPort, arr{obj{"handler": "reverse_proxy", "upstreams": arr{obj{"dial": backend}}}}),
				"guard": server(guardPort, arr{obj{"handler": "gatehouse_guard"}, obj{"handler": "gatehouse_routes"}}),
				"fa": server(faPort, arr{
					obj{"handler": "reverse_proxy", "upstreams": arr{obj{"dial": "127.0.0.1:" + strconv.Itoa(authPort)}},
						"rewrite": obj{"method": "GET", "uri": "/auth"},
						"headers": obj{"request": obj{"set": obj{"X-Forwarded-Method": arr{"{http.request.method}"}, "X-Forwarded-Uri": arr{"{http.request.uri}"}}}},
						"handle_response": arr{obj{"match": obj{"status_code": arr{2}}, "routes": arr{obj{"handle": arr{
							obj{"handler": "reverse_proxy", "upstreams": arr{obj{"dial": backend}}}}}}}}},
				}),
			}},
		},
	}
	c := startCaddy(tmp, "guard", cfg)
	defer c.stop()
	rules := arr{obj{"type": "cidr", "value": "127.0.0.0/8"}, obj{"type": "country", "value": "DE"}}
	for i := 0; i < 1000; i++ {
		rules = append(rules, obj{"type": "cidr", "value": fmt.Sprintf("100.%d.%d.0/24", i/256, i%256)})
	}
	snap := obj{"version": 1, "routes": arr{obj{"id": "bench",
		"policy": obj{
			"acl":        obj{"enabled": true, "allow": arr{"127.0.0.1"}},
			"ip_filter":  obj{"enabled": true, "mode": "whitelist", "rules": rules},
			"rate_limit": obj{"enabled": true, "requests": 100000, "window": "1s"},
		},
		"http": obj{"hosts": arr{"bench.test"}, "handle": arr{obj{"handler": "reverse_proxy", "upstreams": arr{obj{"dial": backend}}}}},
	}}}
	code, body := c.admin("PUT", "/gatehouse/v1/state", snap)
	if code != 200 {
		log.Fatalf("PUT: %d %s", code, body)
	}
	// warm up all three, then measure interleaved twice and keep the best
	targets := []struct {
		name string
		port int
	}{{"plain reverse_proxy", plainPort}, {"gatehouse_guard", guardPort}, {"forward_auth (node)", faPort}}
	rps := make([]float64, len(targets))
	for _, t := range targets {
		load(t.port, time.Second)
	}
	for round := 0; round < 2; round++ {
		for i, t := range targets {
			rps[i] = max(rps[i], load(t.port, *duration))
		}
	}
	fmt.Println("== guard cost (req/s, best of 2 rounds, c =", *workers, ")")
	for i, t := range targets {
		fmt.Printf("  %-22s %10.0f\n", t.name, rps[i])
	}
	fmt.Printf("  guard / plain          %10.2f   (goal >= 0.90)\n", rps[1]/rps[0])
	fmt.Printf("  guard / forward_auth   %10.2f   (goal >= 3.00)\n", rps[1]/rps[2])
}

func server(port int, handle arr) obj {
	return obj{"listen": arr{"127.0.0.1:" + strconv.Itoa(port)}, "automatic_https": obj{"disable": true},
		"routes": arr{obj{"handle": handle}}}
}

// nodeAuth is the forward-auth endpoint: ACL, a 1,000-entry CIDR list
// (sorted ranges, binary search) and a fixed-window rate limit per client,
// keyed by the X-Forwarded-For Caddy sets.
const nodeAuth = `
const http = require('http');
const port = +process.argv[1];
const toInt = ip => ip.split('.').reduce((a, o) => a * 256 + (+o), 0);
const ranges = [[toInt('127.0.0.0'), toInt('127.255.255.255')]];
for (let i = 0; i < 1000; i++) { const b = toInt('100.' + (i >> 8) + '.' + (i & 255) + '.0'); ranges.push([b, b + 255]); }
ranges.sort((a, b) => a[0] - b[0]);
const inRanges = n => { let lo = 0, hi = ranges.length - 1; while (lo <= hi) { const m = (lo + hi) >> 1; if (n < ranges[m][0]) hi = m - 1; else if (n > ranges[m][1]) lo = m + 1; else return true; } return false; };
const acl = new Set(['127.0.0.1']);
const counts = new Map(); let win = 0;
http.createServer((req, res) => {
  const ip = (req.headers['x-forwarded-for'] || req.socket.remoteAddress).split(',')[0].trim().replace(/^::ffff:/, '');
  const now = Math.floor(Date.now() / 1000); if (now !== win) { win = now; counts.clear(); }
  const n = (counts.get(ip) || 0) + 1; counts.set(ip, n);
  const ok = acl.has(ip) && inRanges(toInt(ip)) && n <= 100000;
  res.writeHead(ok ? 200 : 403); res.end();
}).listen(port, '127.0.0.1');
`

// load runs keep-alive GETs against port for d and returns req/s.
func load(port int, d time.Duration) float64 {
	tr := &http.Transport{MaxIdleConnsPerHost: *workers, MaxConnsPerHost: *workers}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	var n, bad atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", url, nil)
				req.Host = "bench.test"
				resp, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad.Add(1)
					continue
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if b := bad.Load(); b > 0 {
		log.Printf("  (port %d: %d failed requests)", port, b)
	}
	return float64(n.Load()) / d.Seconds()
}

// ---- change cost ----

func changeCost(tmp, backend string) {
	var sizes []int
	for _, s := range strings.Split(*sizesArg, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		sizes = append(sizes, n)
	}
	fmt.Println("== change cost (one of N routes changed, plus one stream route; median of 3; dropped = of 8 upgraded connections through the unchanged stream route)")
	fmt.Printf("  %6s %14s %8s %14s %8s %8s\n", "routes", "PUT state", "dropped", "POST /load", "dropped", "speedup")
	for _, n := range sizes {
		gh, ghDrop := gatehouseChange(tmp, backend, n)
		ld, ldDrop := loadChange(tmp, backend, n)
		fmt.Printf("  %6d %14s %8d %14s %8d %7.1fx\n", n, gh.Round(time.Microsecond), ghDrop, ld.Round(time.Microsecond), ldDrop, float64(ld)/float64(gh))
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
	snap := func(v, changed int) obj {
		routes := arr{}
		for i, h := range routeHosts(n) {
			hdr := "0"
			if i == n-1 {
				hdr = strconv.Itoa(changed)
			}
			routes = append(routes, obj{"id": strconv.Itoa(i), "http": obj{"hosts": arr{h}, "handle": arr{obj{"handler": "reverse_proxy",
				"upstreams": arr{obj{"dial": backend}}, "headers": obj{"request": obj{"set": obj{"X-V": arr{hdr}}}}}}}})
		}
		routes = append(routes, obj{"id": "stream", "http": obj{"hosts": arr{"stream.bench"}, "handle": arr{obj{"handler": "reverse_proxy",
			"upstreams": arr{obj{"dial": backend}}}}}})
		return obj{"version": v, "routes": routes}
	}
	if code, body := c.admin("PUT", "/gatehouse/v1/state", snap(1, 0)); code != 200 {
		log.Fatalf("PUT base: %d %s", code, body)
	}
	return measureChanges(port, "stream.bench", func(i int) {
		if code, body := c.admin("PUT", "/gatehouse/v1/state", snap(i+2, i+1)); code != 200 {
			log.Fatalf("PUT: %d %s", code, body)
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
	return measureChanges(port, "stream.bench", func(i int) {
		if code, body := c.admin("POST", "/load", conf(i+1)); code != 200 {
			log.Fatalf("POST /load: %d %s", code, body)
		}
	})
}

// measureChanges opens upgraded connections through host, times three
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
			log.Fatalf("upgrade through %s: %v %v", host, resp, err)
		}
		conns = append(conns, rw)
	}
	defer func() {
		for _, c := range raw {
			c.Close()
		}
	}()
	var times []time.Duration
	for i := 0; i < 3; i++ {
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
	return times[1], dropped
}

// ---- plumbing ----

// startBackend serves 200 "ok" and echoes upgraded connections.
func startBackend() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Upgrade") == "" {
				_, _ = w.Write([]byte("ok"))
				return
			}
			c, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			_ = rw.Flush()
			_, _ = io.Copy(c, rw)
		}))
	}()
	return ln.Addr().String()
}

type caddyProc struct {
	cmd  *exec.Cmd
	sock string
	cl   *http.Client
}

func startCaddy(tmp, name string, cfg obj) *caddyProc {
	sock := strings.TrimPrefix(cfg["admin"].(obj)["listen"].(string), "unix/")
	path := filepath.Join(tmp, name+".json")
	raw, _ := json.Marshal(cfg)
	check(os.WriteFile(path, raw, 0o600))
	cmd := exec.Command(*caddyBin, "run", "--config", path)
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(tmp, "xdg-"+name))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	p := &caddyProc{cmd: cmd, sock: sock, cl: &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}}}
	for i := 0; i < 400; i++ {
		if code, _ := p.admin("GET", "/config/", nil); code == 200 {
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop()
	log.Fatalf("caddy %s did not start", name)
	return nil
}

func (p *caddyProc) admin(method, path string, body any) (int, string) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://caddy"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.cl.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (p *caddyProc) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	_, _ = p.cmd.Process.Wait()
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func run(dir string, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	check(cmd.Run())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
