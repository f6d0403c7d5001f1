package gatehouse

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/gatehouse/gatehouse/caddy-module/snapshot"
)

func init() {
	caddy.RegisterModule(AdminAPI{})
}

// AdminAPI (admin.api.gatehouse) is the control plane's door into the
// data plane, under /gatehouse/v1/ on Caddy's admin endpoint (a unix
// socket with mode 0600 in production):
//
//	PUT  /gatehouse/v1/state      apply a snapshot (200, 409, 422)
//	POST /gatehouse/v1/validate   the same checks, nothing applied
//	GET  /gatehouse/v1/state      version, hash, applied_at [?include=snapshot]
//	GET  /gatehouse/v1/explain    ?route=ID&ip=ADDR[&at=&method=&path=]: decision and rule
//	POST /gatehouse/v1/explain    the same for a policy in the body (explain.go)
//	GET  /gatehouse/v1/health     version, route counts, listener states
//	GET  /gatehouse/v1/connections        open L4 connections [?route=ID] (connections.go)
//	DELETE /gatehouse/v1/connections/ID   close one (204, 404)
//	GET  /gatehouse/v1/certificates/failures  certificates Caddy fails to obtain or renew (cert_events.go)
//	GET  /gatehouse/v1/traffic            per route and pool member: connections/requests, bytes [?route=ID] (traffic.go)
//	GET  /gatehouse/v1/clients            recent HTTP clients [?route=ID] (clients.go)
type AdminAPI struct {
	// app returns the app to talk to; the running one unless a test sets it.
	app func() *App
}

// CaddyModule returns the Caddy module information.
func (AdminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.gatehouse",
		New: func() caddy.Module { return new(AdminAPI) },
	}
}

// Routes implements caddy.AdminRouter.
func (api *AdminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/gatehouse/v1/", Handler: caddy.AdminHandlerFunc(api.serve)}}
}

func (api *AdminAPI) serve(w http.ResponseWriter, r *http.Request) error {
	// Recorded by the events handler, not the app: answered even before a snapshot or app exists.
	if r.URL.Path == "/gatehouse/v1/certificates/failures" {
		if r.Method != http.MethodGet {
			return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method %s not allowed on %s", r.Method, r.URL.Path)}
		}
		return writeJSON(w, http.StatusOK, map[string]any{"failures": certFailures.list()})
	}
	get := api.app
	if get == nil {
		get = running.Load
	}
	a := get()
	if a == nil {
		return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: errNotRunning}
	}
	route := r.Method + " " + r.URL.Path
	switch route {
	case "PUT /gatehouse/v1/state":
		return api.putState(a, w, r, false)
	case "POST /gatehouse/v1/validate":
		return api.putState(a, w, r, true)
	case "GET /gatehouse/v1/state":
		return api.getState(a, w, r)
	case "GET /gatehouse/v1/explain":
		return api.explain(a, w, r)
	case "POST /gatehouse/v1/explain":
		return api.explainPolicy(a, w, r)
	case "GET /gatehouse/v1/health":
		return api.health(a, w)
	case "GET /gatehouse/v1/connections":
		return writeJSON(w, http.StatusOK, map[string]any{"connections": a.conns.list(r.URL.Query().Get("route"), time.Now())})
	case "GET /gatehouse/v1/traffic":
		return writeJSON(w, http.StatusOK, map[string]any{
			"since":  a.traffic.since().UTC().Format(time.RFC3339Nano),
			"routes": a.traffic.list(r.URL.Query().Get("route")),
		})
	case "GET /gatehouse/v1/clients":
		return writeJSON(w, http.StatusOK, map[string]any{"clients": a.traffic.listClients(r.URL.Query().Get("route"), time.Now())})
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/gatehouse/v1/connections/"); ok && r.Method == http.MethodDelete {
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil || !a.conns.closeConn(n) {
			return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: fmt.Errorf("no open connection %q", id)}
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	switch r.URL.Path {
	case "/gatehouse/v1/state", "/gatehouse/v1/validate", "/gatehouse/v1/explain", "/gatehouse/v1/health":
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method %s not allowed on %s", r.Method, r.URL.Path)}
	}
	return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: fmt.Errorf("no gatehouse endpoint %s", r.URL.Path)}
}

// putState answers 200 with the apply result, 409 {"error", "version",
// "current_version"} or 422 {"errors": [{"path", "message"}]}.
func (api *AdminAPI) putState(a *App, w http.ResponseWriter, r *http.Request, dryRun bool) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, snapshot.MaxBytes+1))
	if err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("reading body: %w", err)}
	}
	d, err := snapshot.DecodeReusing(body, a.routeCache())
	var res applyResult
	if err == nil {
		res, err = a.apply(d, dryRun)
	}
	var verr *snapshot.ValidationError
	var cerr *ConflictError
	switch {
	case err == nil:
		return writeJSON(w, http.StatusOK, res)
	case errors.As(err, &verr):
		return writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": verr.Errors})
	case errors.As(err, &cerr):
		return writeJSON(w, http.StatusConflict, map[string]any{
			"error": cerr.Error(), "version": cerr.Version, "current_version": cerr.Current,
		})
	}
	return caddy.APIError{HTTPStatus: http.StatusInternalServerError, Err: err}
}

type stateResponse struct {
	Version   uint64          `json:"version"`
	Hash      string          `json:"hash"`
	AppliedAt *time.Time      `json:"applied_at"`
	Snapshot  json.RawMessage `json:"snapshot,omitempty"`
}

func (api *AdminAPI) getState(a *App, w http.ResponseWriter, r *http.Request) error {
	g := a.generation()
	if g == nil {
		return writeJSON(w, http.StatusOK, stateResponse{})
	}
	resp := stateResponse{Version: g.version, Hash: g.hash, AppliedAt: &g.appliedAt}
	if r.URL.Query().Get("include") == "snapshot" {
		resp.Snapshot = g.raw
	}
	return writeJSON(w, http.StatusOK, resp)
}

type listenerState struct {
	Network string   `json:"network"`
	Port    int      `json:"port"`
	Address string   `json:"address"`
	State   string   `json:"state"` // listening | shared | error
	Error   string   `json:"error,omitempty"`
	Routes  []string `json:"routes"`
}

func sortListenerStates(s []listenerState) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Port != s[j].Port {
			return s[i].Port < s[j].Port
		}
		return s[i].Network < s[j].Network
	})
}

// health answers {"status": "ok"|"degraded"|"empty", "version", "hash",
// "applied_at", "routes": {"http","l4"}, "listeners": [...],
// "retiring_generations", "units", "persist_error"}.
func (api *AdminAPI) health(a *App, w http.ResponseWriter) error {
	a.mu.Lock()
	g := a.current.Load()
	listeners := a.socketStates(g)
	retiring, units := len(a.retiring), len(a.units)
	var persistErr string
	if a.persistErr != nil {
		persistErr = a.persistErr.Error()
	}
	a.mu.Unlock()
	status := "ok"
	resp := map[string]any{"listeners": listeners, "retiring_generations": retiring, "units": units}
	if g == nil {
		status = "empty"
		resp["routes"] = map[string]int{"http": 0, "l4": 0}
	} else {
		resp["version"], resp["hash"], resp["applied_at"] = g.version, g.hash, g.appliedAt
		resp["routes"] = map[string]int{"http": g.httpRoutes, "l4": g.l4Routes}
	}
	for _, l := range listeners {
		if l.State == "error" {
			status = "degraded"
		}
	}
	if persistErr != "" {
		status = "degraded"
		resp["persist_error"] = persistErr
	}
	if a.countries != nil {
		resp["geoip"] = a.countries.Info()
	}
	if a.asns != nil {
		resp["asn"] = a.asns.Info()
	}
	resp["status"] = status
	return writeJSON(w, http.StatusOK, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Interface guards
var _ caddy.AdminRouter = (*AdminAPI)(nil)
