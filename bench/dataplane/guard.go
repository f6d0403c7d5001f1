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
// the same upstream: plain reverse_proxy, gatehouse_guard + gatehouse_routes
// (two routes: a policy of no rules and one of 1,000 mixed rules, both with
// a rate limit), and forward_auth to a Node endpoint doing ACL, CIDR and
// rate-limit checks. On a 2-core
// machine one run of a few seconds swings by ±20 % (the load generator, Caddy
// and Node share the cores), so every target is warmed up, then the three
// are measured in interleaved rounds (the order rotating, so none always
// runs first or last) and the ratios are taken per round; the median round
// ratio is the result.
func guardCost(tmp, mmdb, asnDB, backend string) {
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
			"gatehouse": obj{"state_file": filepath.Join(tmp, "g-state.json"), "geoip_db": mmdb, "asn_db": asnDB, "shared_https_port": 1},
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
	upstream := arr{obj{"handler": "reverse_proxy", "upstreams": arr{obj{"dial": backend}}}}
	snap := obj{"version": 1, "routes": arr{
		obj{"id": "rules0", "policy": mixedPolicy(0), "http": obj{"hosts": arr{"rules0.test"}, "handle": upstream}},
		obj{"id": "rules1000", "policy": mixedPolicy(1000), "http": obj{"hosts": arr{"rules1000.test"}, "handle": upstream}},
	}}
	if code, body := c.admin("PUT", "/gatehouse/v1/state", mustJSON(snap)); code != 200 {
		fatalf("PUT: %d %s", code, body)
	}
	targets := []struct {
		name string
		port int
		host string
	}{
		{"plain reverse_proxy", plainPort, "bench.test"},
		{"guard, 0 rules", guardPort, "rules0.test"},
		{"guard, 1,000 rules", guardPort, "rules1000.test"},
		{"forward_auth (node)", faPort, "bench.test"},
	}
	for _, t := range targets {
		load(t.port, t.host, *warmup)
	}
	rps := make([][]float64, len(targets)) // [target][round]
	cpu := make([][]float64, len(targets)) // server CPU µs per request
	servers := []int{c.cmd.Process.Pid, node.Process.Pid}
	for round := 0; round < *rounds; round++ {
		for k := range targets {
			i := (round + k) % len(targets)
			before := cpuTime(servers...)
			r := load(targets[i].port, targets[i].host, *duration)
			used := cpuTime(servers...) - before
			rps[i] = append(rps[i], r)
			cpu[i] = append(cpu[i], float64(used.Microseconds())/(r*duration.Seconds()))
		}
	}
	const plain, guard0, guard1000, fa = 0, 1, 2, 3
	ratio := func(a, b int, of [][]float64) []float64 {
		var out []float64
		for r := 0; r < *rounds; r++ {
			out = append(out, of[a][r]/of[b][r])
		}
		return out
	}
	fmt.Printf("== guard cost (req/s; %d interleaved rounds of %s after %s warm-up, c = %d, client %s; median and range)\n", *rounds, *duration, *warmup, *workers, *client)
	for i, t := range targets {
		lo, med, hi := spread(rps[i])
		fmt.Printf("  %-24s %10.0f   (%.0f-%.0f)\n", t.name, med, lo, hi)
	}
	for _, q := range []struct {
		label string
		a, b  int
		goal  string
	}{
		{"guard 0 / plain", guard0, plain, "goal >= 0.90"},
		{"guard 1,000 / plain", guard1000, plain, "goal >= 0.90"},
		{"guard 1,000 / fa", guard1000, fa, "goal >= 3.00"},
	} {
		lo, med, hi := spread(ratio(q.a, q.b, rps))
		fmt.Printf("  %-24s %10.2f   (%.2f-%.2f per round; %s)\n", q.label, med, lo, hi, q.goal)
	}
	// Throughput on a shared 2-core machine moves with whatever else runs;
	// the servers' own CPU per request (Caddy, plus Node for forward_auth)
	// does not, and it is what bounds throughput when the servers have the
	// machine to themselves.
	fmt.Println("  server CPU per request (Caddy + Node; µs, median):")
	for i, t := range targets {
		_, med, _ := spread(cpu[i])
		fmt.Printf("  %-24s %10.1f\n", t.name, med)
	}
	for _, q := range []struct {
		label string
		a, b  int
		goal  string
	}{
		{"plain cpu / guard 0 cpu", plain, guard0, "; goal >= 0.90"},
		{"plain cpu / guard 1,000", plain, guard1000, "; goal >= 0.90"},
		{"fa cpu / guard 1,000 cpu", fa, guard1000, ""},
	} {
		lo, med, hi := spread(ratio(q.a, q.b, cpu))
		fmt.Printf("  %-24s %10.2f   (%.2f-%.2f per round%s)\n", q.label, med, lo, hi, q.goal)
	}
	reportGuard(targets[plain].name, rps, cpu, ratio)
}

// reportGuard hands the guard-cost figures to the harness: requests/s with
// the median of per-round ratios, and the servers' CPU per request, where
// the ratio is the peer's over ours so that higher is better in every row.
func reportGuard(plainName string, rps, cpu [][]float64, ratio func(a, b int, of [][]float64) []float64) {
	const plain, guard0, guard1000, fa = 0, 1, 2, 3
	med := func(xs []float64) float64 { _, m, _ := spread(xs); return m }
	row := func(name, unit string, of [][]float64, ours, peer int, peerName string, r []float64, goal float64) measure {
		lo, m, hi := spread(r)
		if *accessLog {
			// the same rows from the run with the access log on (issue 17: the ratio must not change)
			name += ", access log on"
		}
		row := measure{Measure: name, Unit: unit, Ours: med(of[ours]), Peer: ptr(med(of[peer])), PeerName: peerName,
			Ratio: ptr(m), Note: fmt.Sprintf("ratio per round %.2f-%.2f over %d rounds of %s", lo, hi, *rounds, *duration)}
		if goal > 0 {
			row.Goal, row.Met = fmt.Sprintf("ratio ≥ %.1f", goal), ptr(m >= goal)
		}
		return row
	}
	report(
		row("guard, 0 rules vs plain reverse_proxy", "req/s", rps, guard0, plain, plainName, ratio(guard0, plain, rps), 0.9),
		row("guard, 1,000 rules vs plain reverse_proxy", "req/s", rps, guard1000, plain, plainName, ratio(guard1000, plain, rps), 0.9),
		row("guard, 1,000 rules: server CPU per request (plain/ours)", "µs/req", cpu, guard1000, plain, plainName, ratio(plain, guard1000, cpu), 0.9),
		row("guard, 1,000 rules vs forward_auth (node)", "req/s", rps, guard1000, fa, "forward_auth", ratio(guard1000, fa, rps), 3),
		row("guard, 1,000 rules: server CPU per request (forward_auth/ours)", "µs/req", cpu, guard1000, fa, "forward_auth", ratio(fa, guard1000, cpu), 0),
	)
}

// mixedPolicy is n rules as in caddy-module/guard_bench_test.go: deny rules
// with CIDR, country, ASN and time (with a CIDR) conditions that the load
// generator (127.0.0.1, DE, AS3320 in the bench's databases) never matches,
// then one allow for AS3320 in Germany; default deny; a rate limit too high
// to trigger. n = 0 is no rules and default allow (the rate limit stays, so
// the guard still decides every request).
func mixedPolicy(n int) obj {
	limit := obj{"requests": 100000, "window": "1s"}
	if n == 0 {
		return obj{"default": "allow", "rate_limit": limit}
	}
	rules := arr{}
	for i := 0; i < n-1; i++ {
		var conds arr
		switch i % 4 {
		case 0:
			conds = arr{obj{"type": "cidr", "values": arr{fmt.Sprintf("100.%d.%d.0/24", i/256%256, i%256)}}}
		case 1:
			conds = arr{obj{"type": "country", "values": arr{"FR", "US"}}}
		case 2:
			conds = arr{obj{"type": "asn", "values": arr{fmt.Sprint(64512 + i)}}}
		case 3:
			conds = arr{obj{"type": "time", "days": arr{"sat", "sun"}, "from": "00:00", "to": "24:00", "tz": "Europe/Berlin"},
				obj{"type": "cidr", "values": arr{fmt.Sprintf("172.16.%d.0/24", i%256)}}}
		}
		rules = append(rules, obj{"action": "deny", "conditions": conds})
	}
	rules = append(rules, obj{"action": "allow", "conditions": arr{obj{"type": "country", "values": arr{"DE"}}, obj{"type": "asn", "values": arr{"3320"}}}})
	return obj{"default": "deny", "rules": rules, "rate_limit": limit}
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

// load runs keep-alive GETs for host against port for d with the -client
// load generator and returns req/s.
func load(port int, host string, d time.Duration) float64 {
	if *client == "nethttp" {
		return loadNetHTTP(port, host, d)
	}
	return loadRaw(port, host, d)
}

// loadRaw is the default load generator: each worker writes one fixed
// request on its own keep-alive connection and reads the answer with a
// minimal HTTP/1.1 parser (status line, headers, Content-Length body),
// allocating nothing per request. The load generator shares the two cores
// with Caddy, Node and the backend; net/http's client spends several times
// more CPU per request, and that CPU is taken from the servers under test,
// pulling every ratio towards 1.
func loadRaw(port int, host string, d time.Duration) float64 {
	req := []byte("GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: gatehouse-bench\r\n\r\n")
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
func loadNetHTTP(port int, host string, d time.Duration) float64 {
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
				req.Host = host
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
// (a JSON file Caddy rolls, written through the gatehouse_buffered writer;
// with -access-log-unbuffered through Caddy's plain file writer, one
// write(2) per entry), so the guard pays for one entry per request.
func benchLogging(tmp string) obj {
	logs := obj{"default": obj{"level": "ERROR", "exclude": arr{"gatehouse.access"}}}
	if *accessLog {
		writer := obj{"output": "gatehouse_buffered", "buffer_size": 64 << 10, "flush_interval": "250ms",
			"filename": filepath.Join(tmp, "access.log"), "roll": true, "roll_size_mb": 50, "roll_keep": 3}
		if *accessLogUnbuffered {
			writer["output"] = "file"
			delete(writer, "buffer_size")
			delete(writer, "flush_interval")
		}
		logs["gatehouse_access"] = obj{
			"writer":  writer,
			"encoder": obj{"format": "json", "time_format": "unix_milli_float"},
			"level":   "INFO",
			"include": arr{"gatehouse.access"},
		}
	}
	return obj{"logs": logs}
}
