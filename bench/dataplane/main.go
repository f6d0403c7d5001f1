// Command dataplane measures the cost of the gatehouse guard and of a route
// change against Caddy's own alternatives, in one run, and prints ratios.
// See README.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

type obj = map[string]any
type arr = []any

var (
	caddyBin            = flag.String("caddy", "", "caddy binary (default: build ../../caddy-module/cmd/caddy)")
	duration            = flag.Duration("duration", 3*time.Second, "load per guard-cost target and round")
	workers             = flag.Int("c", 32, "concurrent keep-alive clients")
	sizesArg            = flag.String("sizes", "1,100,1000,5000", "route counts for the change cost")
	rounds              = flag.Int("rounds", 5, "interleaved guard-cost rounds (the median ratio is reported)")
	warmup              = flag.Duration("warmup", 2*time.Second, "load per guard-cost target before measuring")
	changes             = flag.Int("changes", 5, "changes timed per size (the median is reported)")
	client              = flag.String("client", "raw", "guard-cost load generator: raw (minimal HTTP/1.1, no allocations) or nethttp")
	only                = flag.String("only", "", "run only \"guard\" or \"change\" (default: both)")
	accessLog           = flag.Bool("access-log", false, "guard cost with the access log on: gatehouse.access to a rolled JSON file, as the control plane configures it")
	accessLogUnbuffered = flag.Bool("access-log-unbuffered", false, "with -access-log: Caddy's plain file writer instead of gatehouse_buffered (one write(2) per entry)")
	quickRun            = flag.Bool("quick", false, "the short version (also BENCH_QUICK=1): 3 rounds of 2s after 1s warm-up, change cost at 5000 routes, 3 changes")
)

func main() {
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	applyQuick(set)
	log.SetFlags(0)
	tmp, err := os.MkdirTemp("", "gatehouse-bench-")
	check(err)
	running.tmp = tmp
	defer cleanUp()
	// The harness ends a run that outlives its timeout with SIGTERM to this
	// process group; every Caddy runs in a group of its own, so stop them here.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		cleanUp()
		os.Exit(1)
	}()
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
	asnDB := filepath.Join(tmp, "asn.mmdb")
	cmd = exec.Command("go", "run", "./cmd/mkmmdb", "-format", "asn", "-out", asnDB)
	cmd.Dir = "../../caddy-module"
	cmd.Stdin = strings.NewReader(`{"127.0.0.0/8":"3320","10.0.0.0/8":"3215"}`)
	cmd.Stderr = os.Stderr
	check(cmd.Run())

	backend := startBackend()
	if *only != "change" {
		guardCost(tmp, mmdb, asnDB, backend)
	}
	if *only != "guard" {
		changeCost(tmp, backend)
	}
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
	running.Lock()
	running.pids[cmd.Process.Pid] = true
	running.Unlock()
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
	fatalf("caddy %s did not start", name)
	return nil
}

// admin sends body (nil: none) to Caddy's admin socket.
func (p *caddyProc) admin(method, path string, body []byte) (int, string) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
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
	running.Lock()
	delete(running.pids, p.cmd.Process.Pid)
	running.Unlock()
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	_, _ = p.cmd.Process.Wait()
}

// running holds the process groups of the Caddies started and not yet
// stopped, and the run's temporary directory, for cleanUp.
var running = struct {
	sync.Mutex
	pids map[int]bool
	tmp  string
}{pids: map[int]bool{}}

// cleanUp kills every Caddy still running and removes the temporary
// directory: at the end, on SIGTERM and before a fatal error, whose os.Exit
// skips the deferred stops.
func cleanUp() {
	running.Lock()
	defer running.Unlock()
	for pid := range running.pids {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	if running.tmp != "" {
		_ = os.RemoveAll(running.tmp)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	check(err)
	return b
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
		cleanUp()
		log.Fatal(err)
	}
}

// fatalf is log.Fatalf that first stops every Caddy started.
func fatalf(format string, args ...any) {
	cleanUp()
	log.Fatalf(format, args...)
}
