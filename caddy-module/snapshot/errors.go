package snapshot

import (
	"fmt"
	"strings"
)

// FieldError is one problem in a snapshot, named by its JSON path
// ("routes[1].l4.ports[0].port") so that the control plane can point at the
// offending route. The admin API answers 422 with all of them at once.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// FieldErrors collects FieldErrors; validation never stops at the first one,
// because a control plane that fixes one error per round trip is slow to
// converge.
type FieldErrors []FieldError

func (fe *FieldErrors) Add(path, format string, args ...any) {
	*fe = append(*fe, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// ValidationError carries every FieldError of a rejected snapshot.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, fe := range e.Errors {
		msgs = append(msgs, fe.Error())
	}
	return "invalid snapshot: " + strings.Join(msgs, "; ")
}
