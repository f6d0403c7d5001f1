package gatehouse

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/logging"
)

func init() {
	caddy.RegisterModule(BufferedFileWriter{})
}

// Defaults and limits of BufferedFileWriter's own fields.
const (
	defaultLogBufferSize    = 64 << 10
	minLogBufferSize        = 4 << 10
	maxLogBufferSize        = 16 << 20
	defaultLogFlushInterval = 250 * time.Millisecond
	minLogFlushInterval     = 10 * time.Millisecond
	maxLogFlushInterval     = 10 * time.Second
	defaultLogBuffers       = 4
	maxLogBuffers           = 64
)

// logEntriesDropped counts log entries a BufferedFileWriter dropped because
// its buffers were full (the file is written slower than entries arrive).
// Process-wide, so that it survives config reloads; exported by the app as
// gatehouse_access_log_dropped_total (metrics.go).
var logEntriesDropped atomic.Uint64

// BufferedFileWriter is Caddy's file writer (all of its fields, rolling
// included) with a bounded in-memory buffer in front: a log entry is a copy
// into memory under a short lock instead of a write(2) on the request path.
// The buffer is written out when it is full, every flush_interval and on
// close, always as whole entries (one zap entry is one Write, one line), so
// a reader following the file never sees a partial line and a rolled file
// ends with a whole one.
//
// Trade-off: entries reach the file up to flush_interval later, and when
// the file cannot keep up (every buffer full) new entries are dropped and
// counted rather than stalling a request (docs/observability.md).
//
// Module ID: caddy.logging.writers.gatehouse_buffered
type BufferedFileWriter struct {
	logging.FileWriter

	// BufferSize is the bytes held before the buffer is handed to the
	// file. Default 64 KiB; 4 KiB to 16 MiB.
	BufferSize int `json:"buffer_size,omitempty"`

	// FlushInterval is the longest an entry waits in memory. Default
	// 250ms; 10ms to 10s.
	FlushInterval caddy.Duration `json:"flush_interval,omitempty"`

	// Buffers is how many full buffers may wait for the file before
	// entries are dropped. Default 4; 1 to 64. Memory is bounded by
	// (buffers + 2) × buffer_size.
	Buffers int `json:"buffers,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (BufferedFileWriter) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "caddy.logging.writers.gatehouse_buffered",
		New: func() caddy.Module { return new(BufferedFileWriter) },
	}
}

// Provision provisions the file writer and sets the defaults.
func (bw *BufferedFileWriter) Provision(ctx caddy.Context) error {
	if err := bw.FileWriter.Provision(ctx); err != nil {
		return err
	}
	if bw.BufferSize == 0 {
		bw.BufferSize = defaultLogBufferSize
	}
	if bw.FlushInterval == 0 {
		bw.FlushInterval = caddy.Duration(defaultLogFlushInterval)
	}
	if bw.Buffers == 0 {
		bw.Buffers = defaultLogBuffers
	}
	return nil
}

// Validate checks the buffer fields against their limits.
func (bw *BufferedFileWriter) Validate() error {
	if bw.Filename == "" {
		return fmt.Errorf("gatehouse_buffered: filename is required")
	}
	if bw.BufferSize < minLogBufferSize || bw.BufferSize > maxLogBufferSize {
		return fmt.Errorf("gatehouse_buffered: buffer_size %d is outside %d..%d bytes", bw.BufferSize, minLogBufferSize, maxLogBufferSize)
	}
	if d := time.Duration(bw.FlushInterval); d < minLogFlushInterval || d > maxLogFlushInterval {
		return fmt.Errorf("gatehouse_buffered: flush_interval %s is outside %s..%s", d, minLogFlushInterval, maxLogFlushInterval)
	}
	if bw.Buffers < 1 || bw.Buffers > maxLogBuffers {
		return fmt.Errorf("gatehouse_buffered: buffers %d is outside 1..%d", bw.Buffers, maxLogBuffers)
	}
	return nil
}

// WriterKey differs from the plain file writer's, so that the two never
// share one open file; like Caddy's, it names the file only, so a reload
// keeps the open writer (and its buffer) when the file stays the same.
func (bw BufferedFileWriter) WriterKey() string {
	return "gatehouse_buffered:" + bw.FileWriter.WriterKey()
}

// String names the file, as Caddy's file writer does.
func (bw BufferedFileWriter) String() string { return bw.FileWriter.String() }

// OpenWriter opens the file writer (rolling or plain) and puts the buffer
// in front of it.
func (bw BufferedFileWriter) OpenWriter() (io.WriteCloser, error) {
	out, err := bw.FileWriter.OpenWriter()
	if err != nil {
		return nil, err
	}
	return newLogBuffer(out, bw.BufferSize, bw.Buffers, time.Duration(bw.FlushInterval)), nil
}

// Interface guards
var (
	_ caddy.Module       = (*BufferedFileWriter)(nil)
	_ caddy.Provisioner  = (*BufferedFileWriter)(nil)
	_ caddy.Validator    = (*BufferedFileWriter)(nil)
	_ caddy.WriterOpener = (*BufferedFileWriter)(nil)
)
