// Package integration runs the real Caddy binary built from ./cmd/caddy.
//
// Real: the binary (built once in TestMain, or $GATEHOUSE_CADDY_BIN), its
// admin API on a unix socket in a temp dir, loopback TCP/UDP sockets,
// HTTP/WebSocket/UDP backends written here. Simulated: nothing; all
// traffic stays on 127.0.0.1.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

var caddyBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	caddyBin = os.Getenv("GATEHOUSE_CADDY_BIN")
	if caddyBin == "" {
		dir, err := os.MkdirTemp("", "gatehouse-caddy-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		caddyBin = filepath.Join(dir, "caddy")
		build := exec.Command("go", "build", "-o", caddyBin, "../cmd/caddy")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building caddy:", err)
			return 1
		}
	}
	return m.Run()
}

// instance is one running Caddy.
type instance struct {
	t        *testing.T
	dir      string
	cfg      []byte
	cmd      *exec.Cmd
	admin    *http.Client
	httpPort int
	tlsPort  int
}

// startCaddy writes the static config the control plane would write and
// starts Caddy with it; dir holds the admin socket, state and logs, so a
// second start on the same dir is a restart.
func startCaddy(t *testing.T, dir string, httpPort, tlsPort int) *instance {
	t.Helper()
	sock := filepath.Join(dir, "admin.sock")
	chain := []any{map[string]any{"handle": []any{
		map[string]any{"handler": "gatehouse_guard"},
		map[string]any{"handler": "gatehouse_routes"},
	}}}
	cfg := map[string]any{
		"admin":   map[string]any{"listen": "unix/" + sock + "|0600"},
		"storage": map[string]any{"module": "file_system", "root": filepath.Join(dir, "data")},
		"logging": map[string]any{"logs": map[string]any{"default": map[string]any{
			"level": "WARN", "writer": map[string]any{"output": "file", "filename": filepath.Join(dir, "caddy.log")},
		}}},
		"apps": map[string]any{
			"gatehouse": map[string]any{
				"state_file":        filepath.Join(dir, "state.json"),
				"listen_host":       "127.0.0.1",
				"grace_period":      "1s",
				"shared_https_port": tlsPort,
			},
			"http": map[string]any{
				"http_port":  httpPort,
				"https_port": tlsPort,
				"servers": map[string]any{"main": map[string]any{
					"listen":          []string{"127.0.0.1:" + strconv.Itoa(httpPort)},
					"automatic_https": map[string]any{"disable": true},
					"routes":          chain,
				}, "tls": map[string]any{
					// the shared HTTPS port: caddy-l4's listener wrapper
					// hands known passthrough SNIs to gatehouse_routes and
					// everything else to this HTTP server's TLS
					"listen":          []string{"127.0.0.1:" + strconv.Itoa(tlsPort)},
					"automatic_https": map[string]any{"disable": true},
					"listener_wrappers": []any{
						map[string]any{"wrapper": "layer4", "routes": []any{map[string]any{"handle": []any{
							map[string]any{"handler": "gatehouse_guard"},
							map[string]any{"handler": "gatehouse_routes"},
						}}}},
						map[string]any{"wrapper": "tls"},
					},
					"tls_connection_policies": []any{map[string]any{}},
					"routes":                  chain,
				}},
			},
			"tls": map[string]any{"automation": map[string]any{
				"policies":  []any{map[string]any{"on_demand": true, "issuers": []any{map[string]any{"module": "internal"}}}},
				"on_demand": map[string]any{"permission": map[string]any{"module": "gatehouse"}},
			}},
			"pki": map[string]any{"certificate_authorities": map[string]any{"local": map[string]any{"install_trust": false}}},
		},
	}
	raw, _ := json.Marshal(cfg)
	in := &instance{t: t, dir: dir, cfg: raw, httpPort: httpPort, tlsPort: tlsPort}
	cfgPath := filepath.Join(dir, "caddy.json")
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := os.OpenFile(filepath.Join(dir, "stdout.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	in.cmd = exec.Command(caddyBin, "run", "--config", cfgPath)
	in.cmd.Stdout, in.cmd.Stderr = out, out
	in.cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(dir, "xdg"), "HOME="+dir)
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.kill)
	in.admin = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := in.admin.Get("http://caddy/config/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return in
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "stdout.log"))
			t.Fatalf("caddy did not come up: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends Caddy's whole process group, even if a test failed halfway.
func (in *instance) kill() {
	if in.cmd == nil || in.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
	_, _ = in.cmd.Process.Wait()
	in.cmd = nil
}

// do calls the admin API and decodes a JSON answer.
func (in *instance) do(method, path string, body any) (int, map[string]any, http.Header) {
	in.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			in.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://caddy"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := in.admin.Do(req)
	if err != nil {
		in.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out, resp.Header
}

func (in *instance) mustPut(snap any) {
	in.t.Helper()
	if code, body, _ := in.do("PUT", "/gatehouse/v1/state", snap); code != 200 {
		in.t.Fatalf("PUT state: %d %v", code, body)
	}
}

// get sends a plain HTTP request with the given Host to Caddy's HTTP port.
func (in *instance) get(host string, header http.Header) (int, string) {
	in.t.Helper()
	req, _ := http.NewRequest("GET", "http://127.0.0.1:"+strconv.Itoa(in.httpPort)+"/", nil)
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
