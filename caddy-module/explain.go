package gatehouse

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
	"github.com/gatehouse/gatehouse/caddy-module/snapshot"
)

// Explain answers which rule of a policy decides for an address at an
// instant (docs/snapshot.md "Admin API"): for a route of the applied
// snapshot (GET, with its rate-limit state) or for a policy sent along
// (POST, a policy not yet attached to a route). Both run the policy
// package's Explain, the code Decide runs minus counting the request.

// explainResponse is the answer of both explain endpoints.
type explainResponse struct {
	Route    *string         `json:"route"`
	Kind     string          `json:"kind"`
	IP       string          `json:"ip"`
	At       time.Time       `json:"at"`
	Version  uint64          `json:"version"`
	Policy   *string         `json:"policy"`
	Rules    int             `json:"rules"`
	Decision policy.Decision `json:"decision"`
}

// explainRequest is the body of POST /gatehouse/v1/explain.
type explainRequest struct {
	// Policy is a snapshot policy (docs/snapshot.md). Required.
	Policy *policy.Policy `json:"policy"`
	// Kind is "http" or "l4". Default: "http".
	Kind string `json:"kind"`
	// IP is the client address. Required.
	IP string `json:"ip"`
	// At is an RFC 3339 instant. Default: now.
	At string `json:"at"`
	// Method and Path are the HTTP request's. Default: "GET", "/".
	Method string `json:"method"`
	Path   string `json:"path"`
}

// maxExplainBody bounds POST explain: the largest policy a snapshot can
// carry is far below it.
const maxExplainBody = 16 << 20

var explainMethodPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_-]{0,31}$`)

// explainInput checks the request fields the two endpoints share; bad
// ones are FieldErrors at the given names.
func explainInput(ip, at, method, path string) (policy.Request, []snapshot.FieldError) {
	var errs snapshot.FieldErrors
	req := policy.Request{Time: time.Now(), Method: method, Path: path}
	addr, err := policy.ParseClientAddr(ip)
	if err != nil {
		errs.Add("ip", "%v", err)
	}
	req.Addr = addr
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			errs.Add("at", "must be an RFC 3339 time such as 2026-01-01T12:00:00Z, got %q", at)
		}
		req.Time = t
	}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	if !explainMethodPattern.MatchString(req.Method) {
		errs.Add("method", "must be an upper-case method token such as GET, got %q", method)
	}
	if req.Path == "" {
		req.Path = "/"
	}
	if len(req.Path) > 2048 || req.Path[0] != '/' {
		errs.Add("path", "must start with / and be at most 2048 bytes")
	}
	return req, errs
}

// explain answers GET ?route=ID&ip=ADDR[&at=RFC3339][&method=M&path=/p];
// 400 for bad parameters, 404 for an unknown route.
func (api *AdminAPI) explain(a *App, w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	id := q.Get("route")
	if id == "" || q.Get("ip") == "" {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: errors.New("query parameters route and ip are required")}
	}
	req, errs := explainInput(q.Get("ip"), q.Get("at"), q.Get("method"), q.Get("path"))
	if len(errs) > 0 {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: errors.New(errs[0].Error())}
	}
	g := a.generation()
	var info *routeInfo
	if g != nil {
		info = g.routes[id]
	}
	if info == nil {
		return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: fmt.Errorf("route: no route %q in the applied snapshot", id)}
	}
	return writeJSON(w, http.StatusOK, a.explained(&id, info.kind, g.version, info.policy, req))
}

// explainPolicy answers POST {policy, kind, ip, at?, method?, path?}; 422
// {"errors": [{path, message}]} for a bad body or an invalid policy (paths
// under "policy.").
func (api *AdminAPI) explainPolicy(a *App, w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxExplainBody+1))
	if err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("reading body: %w", err)}
	}
	if len(body) > maxExplainBody {
		return writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": []snapshot.FieldError{{Message: fmt.Sprintf("body larger than %d bytes", maxExplainBody)}}})
	}
	var in explainRequest
	if errs := snapshot.DecodeValue(body, "", &in); len(errs) > 0 {
		return writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": errs})
	}
	req, errs := explainInput(in.IP, in.At, in.Method, in.Path)
	if in.Kind == "" {
		in.Kind = policy.KindHTTP
	}
	if in.Kind != policy.KindHTTP && in.Kind != policy.KindL4 {
		errs = append(errs, snapshot.FieldError{Path: "kind", Message: fmt.Sprintf("kind must be http or l4, got %q", in.Kind)})
	}
	var compiled *policy.Compiled
	if in.Policy == nil {
		errs = append(errs, snapshot.FieldError{Path: "policy", Message: "policy is required"})
	} else {
		// no Limiters: a private limiter, so rate_limit shows used 0
		c, perrs := policy.Compile(*in.Policy, a.policyDeps("", in.Kind, nil))
		for _, pe := range perrs {
			fe := pe.WithPrefix("policy")
			errs = append(errs, snapshot.FieldError{Path: fe.Path, Message: fe.Message})
		}
		compiled = c
	}
	if len(errs) > 0 {
		return writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": errs})
	}
	var version uint64
	if g := a.generation(); g != nil {
		version = g.version
	}
	return writeJSON(w, http.StatusOK, a.explained(nil, in.Kind, version, compiled, req))
}

func (a *App) explained(route *string, kind string, version uint64, p *policy.Compiled, req policy.Request) explainResponse {
	resp := explainResponse{Route: route, Kind: kind, IP: req.Addr.String(), At: req.Time.UTC(), Version: version, Rules: p.Rules()}
	if name := p.Name(); name != "" {
		resp.Policy = &name
	}
	if kind == policy.KindL4 {
		req.Method, req.Path = "", ""
	}
	var countries policy.CountryLookup
	var asns policy.ASNLookup
	if a.countries != nil {
		countries = a.countries
	}
	if a.asns != nil {
		asns = a.asns
	}
	resp.Decision = p.ExplainWith(req, countries, asns)
	return resp
}
