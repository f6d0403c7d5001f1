package main

import (
	"bufio"
	"bytes"
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
	"time"
)

// guardCost measures req/s through three Caddy servers in one process for
// the same upstream: plain reverse_proxy, gatehouse_guard + gatehouse_routes,
// and forward_auth to a Node endpoint doing the same checks. On a 2-core
// machine one run of a few seconds swings by ±20 % (the load generator, Caddy
// and Node share the cores), so every target is warmed up, then the three
// are measured in interleaved rounds (the order rotating, so none always
// runs first or last) and the ratios are taken per round; the median round
// ratio is the result.
func guardCost(tmp, mmdb, backend string) {
	authPort := freePort()
	node := exec.Command("node", "-e", nodeAuth, strconv.Itoa(authPort))
	node.Stdout, node.Stderr = os.Stderr, os.Stderr
	check(node.Start())
	defer func() { _ = node.Process.Kill(); _, _ = node.Process.Wait() }()
	plainPort, guardPort, faPort := freePort(), freePort(), freePort()
	cfg := obj{
		"admin":   obj{"listen": "unix/" + filepath.Join(tmp, "g.sock")},
		"logging": benchLogging(tmp),
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
	if code, body := c.admin("PUT", "/gatehouse/v1/state", mustJSON(snap)); code != 200 {
		log.Fatalf("PUT: %d %s", code, body)
	}
	targets := []struct {
		name string
		port int
	}{{"plain reverse_proxy", plainPort}, {"gatehouse_guard", guardPort}, {"forward_auth (node)", faPort}}
	for _, t := range targets {
		load(t.port, *warmup)
	}
	rps := make([][]float64, len(targets)) // [target][round]
	cpu := make([][]float64, len(targets)) // server CPU µs per request
	servers := []int{c.cmd.Process.Pid, node.Process.Pid}
	for round := 0; round < *rounds; round++ {
		for k := range targets {
			i := (round + k) % len(targets)
			before := cpuTime(servers...)
			r := load(targets[i].port, *duration)
			used := cpuTime(servers...) - before
			rps[i] = append(rps[i], r)
			cpu[i] = append(cpu[i], float64(used.Microseconds())/(r*duration.Seconds()))
		}
	}
	var vsPlain, vsFA []float64
	for r := 0; r < *rounds; r++ {
		vsPlain = append(vsPlain, rps[1][r]/rps[0][r])
		vsFA = append(vsFA, rps[1][r]/rps[2][r])
	}
	fmt.Printf("== guard cost (req/s; %d interleaved rounds of %s after %s warm-up, c = %d, client %s; median and range)\n", *rounds, *duration, *warmup, *workers, *client)
	for i, t := range targets {
		lo, med, hi := spread(rps[i])
		fmt.Printf("  %-22s %10.0f   (%.0f-%.0f)\n", t.name, med, lo, hi)
	}
	lo, med, hi := spread(vsPlain)
	fmt.Printf("  guard / plain          %10.2f   (%.2f-%.2f per round; goal >= 0.90)\n", med, lo, hi)
	lo, med, hi = spread(vsFA)
	fmt.Printf("  guard / forward_auth   %10.2f   (%.2f-%.2f per round; goal >= 3.00)\n", med, lo, hi)
	// Throughput on a shared 2-core machine moves with whatever else runs;
	// the servers' own CPU per request (Caddy, plus Node for forward_auth)
	// does not, and it is what bounds throughput when the servers have the
	// machine to themselves.
	fmt.Println("  server CPU per request (Caddy + Node; µs, median):")
	for i, t := range targets {
		_, med, _ := spread(cpu[i])
		fmt.Printf("  %-22s %10.1f\n", t.name, med)
	}
	var cpuPlain, cpuFA []float64
	for r := 0; r < *rounds; r++ {
		cpuPlain = append(cpuPlain, cpu[0][r]/cpu[1][r])
		cpuFA = append(cpuFA, cpu[2][r]/cpu[1][r])
	}
	lo, med, hi = spread(cpuPlain)
	fmt.Printf("  plain cpu / guard cpu  %10.2f   (%.2f-%.2f per round)\n", med, lo, hi)
	lo, med, hi = spread(cpuFA)
	fmt.Printf("  fa cpu / guard cpu     %10.2f   (%.2f-%.2f per round)\n", med, lo, hi)
}

// cpuTime is the user+system CPU time the processes have used so far
// (/proc/PID/stat, in clock ticks of 10 ms).
func cpuTime(pids ...int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		check(err)
		// fields after the ")" that ends the command name: state is the
		// 1st, utime the 12th, stime the 13th
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		for _, k := range []int{11, 12} {
			ticks, err := strconv.Atoi(f[k])
			check(err)
			total += time.Duration(ticks) * 10 * time.Millisecond
		}
	}
	return total
}

// spread is the minimum, median and maximum of xs.
func spread(xs []float64) (lo, med, hi float64) {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], med, s[n-1]
}

func server(port int, handle arr) obj {
	return obj{"listen": arr{"127.0.0.1:" + strconv.Itoa(port)}, "automatic_https": obj{"disable": true},
		"routes": arr{obj{"handle": handle}}}
}

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

// load runs keep-alive GETs against port for d with the -client load
// generator and returns req/s.
func load(port int, d time.Duration) float64 {
	if *client == "nethttp" {
		return loadNetHTTP(port, d)
	}
	return loadRaw(port, d)
}

// loadRaw is the default load generator: each worker writes one fixed
// request on its own keep-alive connection and reads the answer with a
// minimal HTTP/1.1 parser (status line, headers, Content-Length body),
// allocating nothing per request. The load generator shares the two cores
// with Caddy, Node and the backend; net/http's client spends several times
// more CPU per request, and that CPU is taken from the servers under test,
// pulling every ratio towards 1.
func loadRaw(port int, d time.Duration) float64 {
	req := []byte("GET / HTTP/1.1\r\nHost: bench.test\r\nUser-Agent: gatehouse-bench\r\n\r\n")
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var n, bad atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c net.Conn
			var r *bufio.Reader
			for time.Now().Before(deadline) {
				if c == nil {
					var err error
					if c, err = net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
						bad.Add(1)
						time.Sleep(10 * time.Millisecond)
						continue
					}
					r = bufio.NewReaderSize(c, 4096)
				}
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				status, err := roundTrip(c, r, req)
				if err != nil {
					bad.Add(1)
					c.Close()
					c = nil
					continue
				}
				if status != 200 {
					bad.Add(1)
					continue
				}
				n.Add(1)
			}
			if c != nil {
				c.Close()
			}
		}()
	}
	wg.Wait()
	if b := bad.Load(); b > 0 {
		log.Printf("  (port %d: %d failed requests)", port, b)
	}
	return float64(n.Load()) / d.Seconds()
}

// roundTrip writes req and reads one response; only Content-Length bodies
// (what all three targets send) are understood.
func roundTrip(c net.Conn, r *bufio.Reader, req []byte) (int, error) {
	if _, err := c.Write(req); err != nil {
		return 0, err
	}
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, err
	}
	length := -1
	for {
		h, err := r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		if len(h) > 16 && bytes.EqualFold(h[:15], []byte("Content-Length:")) {
			length, err = strconv.Atoi(string(bytes.TrimSpace(h[15:])))
			if err != nil {
				return 0, err
			}
		}
	}
	if length < 0 {
		return 0, fmt.Errorf("no Content-Length")
	}
	if _, err := r.Discard(length); err != nil {
		return 0, err
	}
	return status, nil
}

// loadNetHTTP is the same load through net/http's client (-client nethttp).
func loadNetHTTP(port int, d time.Duration) float64 {
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

// benchLogging is the guard-cost Caddy's logging: errors only, plus with
// -access-log the access log as src/caddy/static-config.ts configures it
// (a JSON file Caddy rolls), so the guard pays for one entry per request.
func benchLogging(tmp string) obj {
	logs := obj{"default": obj{"level": "ERROR", "exclude": arr{"gatehouse.access"}}}
	if *accessLog {
		logs["gatehouse_access"] = obj{
			"writer": obj{"output": "file", "filename": filepath.Join(tmp, "access.log"), "roll": true,
				"roll_size_mb": 50, "roll_keep": 3},
			"encoder": obj{"format": "json", "time_format": "unix_milli_float"},
			"level":   "INFO",
			"include": arr{"gatehouse.access"},
		}
	}
	return obj{"logs": logs}
}
