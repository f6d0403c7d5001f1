package gatehouse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// recordingWriter keeps each Write as one chunk; block, when set, holds
// every Write until it is closed (a file that cannot keep up).
type recordingWriter struct {
	mu     sync.Mutex
	chunks [][]byte
	block  chan struct{}
	closed bool
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.block != nil {
		<-w.block
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.chunks = append(w.chunks, bytes.Clone(p))
	return len(p), nil
}

func (w *recordingWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return nil
}

func (w *recordingWriter) snapshot() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][]byte(nil), w.chunks...)
}

func line(i, n int) []byte {
	return []byte(fmt.Sprintf("{\"n\":%d,\"pad\":%q}\n", i, strings.Repeat("x", n)))
}

func TestLogBufferFlushesBySize(t *testing.T) {
	out := &recordingWriter{}
	b := newLogBuffer(out, 4096, 4, 10*time.Second) // the interval never fires
	defer b.Close()
	for i := 0; i < 100; i++ { // ~100 × 100 bytes: more than two buffers
		_, _ = b.Write(line(i, 80))
	}
	waitFor(t, func() bool { return len(out.snapshot()) >= 2 })
	for _, c := range out.snapshot() {
		if len(c) > 4096 {
			t.Fatalf("chunk of %d bytes > buffer size", len(c))
		}
	}
}

func TestLogBufferFlushesByTime(t *testing.T) {
	out := &recordingWriter{}
	b := newLogBuffer(out, 64<<10, 4, 20*time.Millisecond)
	defer b.Close()
	start := time.Now()
	_, _ = b.Write(line(1, 10))
	waitFor(t, func() bool { return len(out.snapshot()) == 1 })
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("one entry took %s to reach the file", waited)
	}
	if got := string(out.snapshot()[0]); got != string(line(1, 10)) {
		t.Fatalf("flushed %q", got)
	}
}

func TestLogBufferCloseWritesEverythingInOrder(t *testing.T) {
	out := &recordingWriter{}
	b := newLogBuffer(out, 4096, 8, 10*time.Second)
	var want bytes.Buffer
	for i := 0; i < 50; i++ {
		l := line(i, 100)
		want.Write(l)
		_, _ = b.Write(l)
	}
	huge := line(50, 10000) // larger than a buffer: its own chunk, in order
	want.Write(huge)
	_, _ = b.Write(huge)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !out.closed {
		t.Fatal("the file writer was not closed")
	}
	if got := bytes.Join(out.snapshot(), nil); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("after close the file has %d bytes, want %d (dropped %d)", len(got), want.Len(), b.dropped.Load())
	}
	_, _ = b.Write(line(99, 1)) // after close: dropped, no panic
	if b.dropped.Load() != 1 {
		t.Fatalf("dropped %d after close, want 1", b.dropped.Load())
	}
}

// A stuck file never stalls Write: entries beyond the buffers are counted
// and dropped, and once the file moves again what was kept is written.
func TestLogBufferDropsWhenTheFileIsStuck(t *testing.T) {
	out := &recordingWriter{block: make(chan struct{})}
	b := newLogBuffer(out, 4096, 2, 10*time.Millisecond)
	before := logEntriesDropped.Load()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 1000; i++ { // 1000 × ~100 bytes ≫ 4 buffers of 4 KiB
			_, _ = b.Write(line(i, 80))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Write blocked on a stuck file")
	}
	dropped := b.dropped.Load()
	if dropped == 0 || dropped == 1000 {
		t.Fatalf("dropped %d of 1000, want some kept and some dropped", dropped)
	}
	if got := logEntriesDropped.Load() - before; got != dropped {
		t.Fatalf("process counter moved by %d, buffer dropped %d", got, dropped)
	}
	close(out.block)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, c := range out.snapshot() {
		kept += bytes.Count(c, []byte{'\n'})
	}
	if uint64(kept)+dropped != 1000 {
		t.Fatalf("kept %d + dropped %d != 1000", kept, dropped)
	}
}

// Writers on many goroutines (run with -race): every chunk the file gets is
// whole lines, and every line arrives once.
func TestLogBufferConcurrentWritersWholeLines(t *testing.T) {
	out := &recordingWriter{}
	b := newLogBuffer(out, 4096, 64, 5*time.Millisecond)
	var wg sync.WaitGroup
	const writers, each = 8, 500
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, _ = b.Write(line(w*each+i, (w*7+i)%300))
			}
		}(w)
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, c := range out.snapshot() {
		if len(c) == 0 || c[len(c)-1] != '\n' {
			t.Fatalf("a chunk does not end with a whole line: %q", c[max(0, len(c)-40):])
		}
		for _, l := range bytes.Split(bytes.TrimSuffix(c, []byte{'\n'}), []byte{'\n'}) {
			var e struct{ N int }
			if err := json.Unmarshal(l, &e); err != nil {
				t.Fatalf("a partial line: %q: %v", l, err)
			}
			seen[e.N] = true
		}
	}
	if len(seen)+int(b.dropped.Load()) != writers*each {
		t.Fatalf("%d lines written, %d dropped, want %d", len(seen), b.dropped.Load(), writers*each)
	}
}

// The module: Caddy's file writer underneath (the file appears, rolling
// settings accepted), fields checked against their limits.
func TestBufferedFileWriterModule(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sub", "access.log")
	roll := true
	bw := &BufferedFileWriter{}
	bw.Filename, bw.Roll, bw.RollSizeMB, bw.RollKeep = file, &roll, 1, 2
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	defer cancel()
	if err := bw.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	if err := bw.Validate(); err != nil {
		t.Fatal(err)
	}
	if bw.BufferSize != defaultLogBufferSize || time.Duration(bw.FlushInterval) != defaultLogFlushInterval || bw.Buffers != defaultLogBuffers {
		t.Fatalf("defaults not set: %+v", bw)
	}
	if k := bw.WriterKey(); k != "gatehouse_buffered:file:"+file {
		t.Fatalf("writer key %q", k)
	}
	w, err := bw.OpenWriter()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(line(1, 3))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil || string(got) != string(line(1, 3)) {
		t.Fatalf("file has %q, %v", got, err)
	}

	for _, bad := range []func(*BufferedFileWriter){
		func(b *BufferedFileWriter) { b.BufferSize = 100 },
		func(b *BufferedFileWriter) { b.BufferSize = 1 << 30 },
		func(b *BufferedFileWriter) { b.BufferSize = -1 },
		func(b *BufferedFileWriter) { b.FlushInterval = caddy.Duration(time.Millisecond) },
		func(b *BufferedFileWriter) { b.FlushInterval = caddy.Duration(time.Hour) },
		func(b *BufferedFileWriter) { b.FlushInterval = -1 },
		func(b *BufferedFileWriter) { b.Buffers = 1000 },
		func(b *BufferedFileWriter) { b.Buffers = -3 },
		func(b *BufferedFileWriter) { b.Filename = "" },
	} {
		c := *bw
		bad(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "gatehouse_buffered") {
			t.Errorf("%+v: want a gatehouse_buffered error, got %v", c, err)
		}
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("condition not met within 5s")
}

// Drops are exported by the app as gatehouse_access_log_dropped_total, and
// a second app on the same registry (a reload) shares the counter.
func TestAccessLogDroppedMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := newMetrics(reg); err != nil {
		t.Fatalf("a second app on the same registry: %v", err)
	}
	before := droppedMetric(t, reg)
	b := newLogBuffer(&recordingWriter{}, 4096, 1, time.Second)
	_ = b.Close()
	_, _ = b.Write(line(1, 1)) // after close: dropped
	if got := droppedMetric(t, reg); got != before+1 {
		t.Fatalf("gatehouse_access_log_dropped_total %v, want %v", got, before+1)
	}
}

func droppedMetric(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "gatehouse_access_log_dropped_total" {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("gatehouse_access_log_dropped_total not registered")
	return 0
}
