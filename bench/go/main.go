// natsgo-bench: one benchmark run with nats.go, for bench/client_go.ts.
//
//	natsgo-bench version      (prints nats.Version and the Go release: "1.55.0 go1.26.8")
//	natsgo-bench -url nats://127.0.0.1:4222 -kind pub|pubsub|pubsub1|req|reqpar -size 128 -count 100000 [-inflight 100] [-external] -tag T
//	natsgo-bench -url ... -kind responder -tag T   (the external responder of the req-*-ext cases)
//	natsgo-bench -url ... -kind jspub|jsasync|jsbatch -size 128 -count N -storage memory|file [-window 1000] [-batch 100] -tag T
//	natsgo-bench -url ... -kind jsconsume|jsfetch|jsordered -size 128 -count N -batch 100 [-ack explicit|none] -tag T
//	natsgo-bench -url ... -kind kvput|kvget|kvwatch -size 128 -count N [-keys 1000] [-direct=false] -tag T
//	natsgo-bench -url ... -kind objput|objget -size 67108864 -count 1 -storage file -tag T   (obj.go)
//
// It does an untimed warm-up (warmCount: a tenth of the messages, at least 5,000 where the count
// allows), times the rest, and prints one JSON line with
// the fields of RunMetrics in bench/adapter.ts (no GC fields), among them the process's own CPU
// time over the timed part (getrusage(RUSAGE_SELF) user and system deltas: every thread of this
// process, so with its own responder both sides). With -external, req and reqpar start no
// responder: another process answers (the same binary in -kind responder mode, started by the
// bench around the run: runResponder below, driven by bench/responder.ts). Built as the Go module in this
// folder (go.mod pins nats.go), or, as a fallback, in GOPATH mode against Debian's
// golang-github-nats-io-go-nats-dev (nats.go 1.22, Go 1.19); see client_go.ts. So this file uses
// only API present in both nats.go 1.22 and the pinned version, and Go language features of Go
// 1.19. The JetStream kinds live in jetstream.go, consume.go and kv.go (nats.go's jetstream
// package, which 1.22 lacks): the module build compiles them, the Debian fallback builds this file
// alone, and then the JetStream kinds report that they need the module build (the consumer and KV
// kinds fail earlier, on their flags).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
)

const (
	stall          = 2 * time.Second
	requestTimeout = 5 * time.Second
	flushTimeout   = 60 * time.Second
)

type result struct {
	OK         bool     `json:"ok"`
	Error      string   `json:"error,omitempty"`
	Count      int      `json:"count"`
	Received   *int64   `json:"received,omitempty"`
	ElapsedMs  float64  `json:"elapsedMs"`
	MsgsPerSec float64  `json:"msgsPerSec"`
	MBPerSec   float64  `json:"mbPerSec"`
	P50Us      *float64 `json:"p50Us,omitempty"`
	P99Us      *float64 `json:"p99Us,omitempty"`
	SubErrors  int64    `json:"subErrors,omitempty"`
	ConnClosed string   `json:"connClosed,omitempty"`
	// CPU time of this process over the timed part (user and system, ms) and per message (µs).
	CPUUserMs   *float64 `json:"cpuUserMs,omitempty"`
	CPUSysMs    *float64 `json:"cpuSysMs,omitempty"`
	CPUUsPerMsg *float64 `json:"cpuUsPerMsg,omitempty"`
}

// cpuTimes is this process's user and system CPU time so far (all threads).
type cpuTimes struct{ user, sys time.Duration }

func cpuNow() (cpuTimes, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuTimes{}, false
	}
	return cpuTimes{user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano())}, true
}

// jsRunners holds the JetStream kinds; jetstream.go fills it (module build only).
var jsRunners = map[string]func(b *bench, r *result) error{}

type bench struct {
	url, subject, tag string
	size, count, warm int
	inflight          int
	storage           string
	window, batch     int
	data              []byte
	conns             []*nats.Conn
	closing           atomic.Bool
	mu                sync.Mutex
	connClosed        string
	subErrors         atomic.Int64
	external          bool
	// CPU at the start and the end of the timed part (start and stop); cpuOK when both were read.
	cpu0, cpu1 cpuTimes
	cpu0OK     bool
	cpu1OK     bool
	cpuStopped bool
}

// start begins the timed part: it reads the process's CPU time and returns the wall-clock start.
// It may run on another goroutine than finish, as long as a channel orders the two.
func (b *bench) start() time.Time {
	b.cpu0, b.cpu0OK = cpuNow()
	b.cpuStopped = false
	return time.Now()
}

// stop ends the timed part's CPU window (the last call wins) and returns the wall-clock end. When
// it is not called, finish ends the window.
func (b *bench) stop() time.Time {
	t := time.Now()
	b.cpu1, b.cpu1OK = cpuNow()
	b.cpuStopped = true
	return t
}

func (b *bench) open(role string) (*nats.Conn, error) {
	nc, err := nats.Connect(b.url,
		nats.Name("bench-natsgo-"+role),
		nats.NoReconnect(),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				b.subErrors.Add(1)
			}
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if b.closing.Load() {
				return
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.connClosed == "" {
				b.connClosed = role + " connection closed"
				if err := nc.LastError(); err != nil {
					b.connClosed += ": " + err.Error()
				}
			}
		}),
	)
	if err != nil {
		return nil, err
	}
	b.conns = append(b.conns, nc)
	return nc, nil
}

func (b *bench) closedReason() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.connClosed
}

func (b *bench) publishN(nc *nats.Conn, n int) error {
	for i := 0; i < n; i++ {
		if err := nc.Publish(b.subject, b.data); err != nil {
			return err
		}
	}
	return nil
}

// waitFor returns when the counter reaches target, or when it made no progress for `stall` (or a
// connection closed); it returns the time of reaching the target or of the last progress.
func (b *bench) waitFor(received *atomic.Int64, reached <-chan time.Time, target int64) time.Time {
	last := received.Load()
	lastAt := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case at := <-reached:
			return at
		case now := <-tick.C:
			if n := received.Load(); n >= target {
				return now
			} else if n != last {
				last, lastAt = n, now
			}
			if now.Sub(lastAt) > stall || b.closedReason() != "" {
				return lastAt
			}
		}
	}
}

func (b *bench) runPub(r *result) error {
	nc, err := b.open("pub")
	if err != nil {
		return err
	}
	if err := b.publishN(nc, b.warm); err != nil {
		return err
	}
	if err := nc.FlushTimeout(flushTimeout); err != nil {
		return err
	}
	t0 := b.start()
	if err := b.publishN(nc, b.count); err != nil {
		return err
	}
	if err := nc.FlushTimeout(flushTimeout); err != nil {
		return err
	}
	b.finish(r, int64(b.count), time.Since(t0))
	return nil
}

func (b *bench) runPubSub(r *result, oneConn bool) error {
	role := "sub"
	if oneConn {
		role = "pubsub"
	}
	sub, err := b.open(role)
	if err != nil {
		return err
	}
	pub := sub
	if !oneConn {
		if pub, err = b.open("pub"); err != nil {
			return err
		}
	}
	var received, bytes, target atomic.Int64
	reached := make(chan time.Time, 1)
	if _, err := sub.Subscribe(b.subject, func(m *nats.Msg) {
		bytes.Add(int64(len(m.Data)))
		if received.Add(1) == target.Load() {
			reached <- time.Now()
		}
	}); err != nil {
		return err
	}
	if err := sub.FlushTimeout(flushTimeout); err != nil {
		return err
	}
	target.Store(int64(b.warm))
	if err := b.publishN(pub, b.warm); err != nil {
		return err
	}
	b.waitFor(&received, reached, int64(b.warm))
	select { // drop a pending signal from the warm-up
	case <-reached:
	default:
	}
	// The counters restart; a straggler from the warm-up could only make the run look slower.
	target.Store(int64(b.count))
	received.Store(0)
	bytes.Store(0)
	t0 := b.start()
	pubErr := make(chan error, 1)
	go func() {
		err := b.publishN(pub, b.count)
		if err == nil {
			err = pub.FlushTimeout(flushTimeout)
		}
		pubErr <- err
	}()
	end := b.waitFor(&received, reached, int64(b.count))
	b.stop()
	got := received.Load()
	if err := <-pubErr; err != nil && b.closedReason() == "" {
		return err
	}
	if bytes.Load() != got*int64(b.size) {
		return fmt.Errorf("subscriber got %d payload bytes in %d messages of %d B", bytes.Load(), got, b.size)
	}
	r.Received = &got
	b.finish(r, got, end.Sub(t0))
	return nil
}

func (b *bench) runRequests(r *result, inflight int) error {
	if !b.external {
		responder, err := b.open("responder")
		if err != nil {
			return err
		}
		if _, err := responder.Subscribe(b.subject, func(m *nats.Msg) { _ = m.Respond(m.Data) }); err != nil {
			return err
		}
		if err := responder.FlushTimeout(flushTimeout); err != nil {
			return err
		}
	}
	req, err := b.open("requester")
	if err != nil {
		return err
	}
	one := func() (time.Duration, error) {
		t := time.Now()
		m, err := req.Request(b.subject, b.data, requestTimeout)
		d := time.Since(t)
		if err == nil && len(m.Data) != b.size {
			err = fmt.Errorf("reply has %d bytes, expected %d", len(m.Data), b.size)
		}
		return d, err
	}
	drive := func(total int, lat []time.Duration) error {
		if inflight == 1 {
			for i := 0; i < total; i++ {
				d, err := one()
				if err != nil {
					return err
				}
				if lat != nil {
					lat[i] = d
				}
			}
			return nil
		}
		var issued atomic.Int64
		var firstErr atomic.Value
		var wg sync.WaitGroup
		for w := 0; w < inflight && w < total; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for firstErr.Load() == nil && issued.Add(1) <= int64(total) {
					if _, err := one(); err != nil {
						firstErr.CompareAndSwap(nil, err)
					}
				}
			}()
		}
		wg.Wait()
		if err, ok := firstErr.Load().(error); ok {
			return err
		}
		return nil
	}
	if err := drive(b.warm, nil); err != nil {
		return err
	}
	var lat []time.Duration
	if inflight == 1 {
		lat = make([]time.Duration, b.count)
	}
	t0 := b.start()
	if err := drive(b.count, lat); err != nil {
		return err
	}
	b.finish(r, int64(b.count), time.Since(t0))
	if lat != nil {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p50, p99 := percentileUs(lat, 0.5), percentileUs(lat, 0.99)
		r.P50Us, r.P99Us = &p50, &p99
	}
	return nil
}

// percentileUs matches report.ts: linear interpolation between the closest ranks.
func percentileUs(sorted []time.Duration, q float64) float64 {
	pos := float64(len(sorted)-1) * q
	lo := int(pos)
	hi := lo + 1
	if hi >= len(sorted) {
		hi = len(sorted) - 1
	}
	v := float64(sorted[lo]) + (float64(sorted[hi])-float64(sorted[lo]))*(pos-float64(lo))
	return v / 1e3
}

func (b *bench) finish(r *result, done int64, elapsed time.Duration) {
	if !b.cpuStopped {
		b.stop()
	}
	secs := elapsed.Seconds()
	r.ElapsedMs = float64(elapsed.Microseconds()) / 1e3
	if secs > 0 {
		r.MsgsPerSec = float64(done) / secs
		r.MBPerSec = float64(done) * float64(b.size) / secs / 1e6
	}
	if b.cpu0OK && b.cpu1OK {
		user := float64(b.cpu1.user-b.cpu0.user) / 1e6
		sys := float64(b.cpu1.sys-b.cpu0.sys) / 1e6
		r.CPUUserMs, r.CPUSysMs = &user, &sys
		if done > 0 {
			per := (user + sys) * 1e3 / float64(done)
			r.CPUUsPerMsg = &per
		}
	}
}

// responderResult is what -kind responder prints when it stops.
type responderResult struct {
	OK        bool    `json:"ok"`
	Error     string  `json:"error,omitempty"`
	Answered  int64   `json:"answered"`
	CPUUserMs float64 `json:"cpuUserMs"`
	CPUSysMs  float64 `json:"cpuSysMs"`
}

// runResponder is the external responder of the req-*-ext cases: one connection, a queue-less
// subscription on the run's subject that echoes each request. It prints "ready" once the
// subscription is flushed (the server has it), answers until its stdin closes (or SIGTERM/SIGINT),
// then prints one JSON line: how many requests it answered and its CPU time.
func (b *bench) runResponder() responderResult {
	var rr responderResult
	cpu0, _ := cpuNow()
	nc, err := b.open("responder")
	if err != nil {
		rr.Error = err.Error()
		return rr
	}
	var answered atomic.Int64
	if _, err := nc.Subscribe(b.subject, func(m *nats.Msg) {
		if m.Respond(m.Data) == nil {
			answered.Add(1)
		}
	}); err != nil {
		rr.Error = err.Error()
		return rr
	}
	if err := nc.FlushTimeout(flushTimeout); err != nil {
		rr.Error = err.Error()
		return rr
	}
	fmt.Println("ready")
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		done <- struct{}{}
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-sigs:
	}
	if err := nc.FlushTimeout(5 * time.Second); err != nil && b.closedReason() == "" {
		rr.Error = err.Error()
	}
	if closed := b.closedReason(); closed != "" && rr.Error == "" {
		rr.Error = closed
	}
	cpu1, _ := cpuNow()
	rr.OK = rr.Error == ""
	rr.Answered = answered.Load()
	rr.CPUUserMs = float64(cpu1.user-cpu0.user) / 1e6
	rr.CPUSysMs = float64(cpu1.sys-cpu0.sys) / 1e6
	return rr
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Println(nats.Version, runtime.Version())
		return
	}
	url := flag.String("url", nats.DefaultURL, "server URL")
	kind := flag.String("kind", "pub", "pub, pubsub, pubsub1, req, reqpar, responder, or a JetStream kind")
	size := flag.Int("size", 128, "payload bytes")
	count := flag.Int("count", 100000, "messages or requests timed")
	inflight := flag.Int("inflight", 100, "outstanding requests for reqpar")
	storage := flag.String("storage", "memory", "JetStream kinds: memory or file")
	window := flag.Int("window", 1000, "jsasync: async publishes in flight at most")
	batch := flag.Int("batch", 100, "jsbatch: messages per atomic batch, commit included")
	tag := flag.String("tag", "natsgo", "subject suffix")
	external := flag.Bool("external", false, "req, reqpar: no responder of our own (another process answers)")
	flag.Parse()

	b := &bench{url: *url, subject: "bench." + *tag, tag: *tag, size: *size, count: *count, inflight: *inflight,
		storage: *storage, window: *window, batch: *batch, external: *external}
	b.warm = warmCount(*count)
	b.data = make([]byte, *size)
	for i := range b.data {
		b.data[i] = byte(97 + i%26)
	}
	if *kind == "responder" {
		rr := b.runResponder()
		b.closing.Store(true)
		for _, nc := range b.conns {
			nc.Close()
		}
		out, _ := json.Marshal(rr)
		fmt.Println(string(out))
		return
	}
	r := &result{Count: *count}
	var err error
	switch *kind {
	case "pub":
		err = b.runPub(r)
	case "pubsub":
		err = b.runPubSub(r, false)
	case "pubsub1":
		err = b.runPubSub(r, true)
	case "req":
		err = b.runRequests(r, 1)
	case "reqpar":
		err = b.runRequests(r, b.inflight)
	case "jspub", "jsasync", "jsbatch", "jsconsume", "jsfetch", "jsordered", "kvput", "kvget", "kvwatch", "objput", "objget":
		if run := jsRunners[*kind]; run != nil {
			err = run(b, r)
		} else {
			err = fmt.Errorf("%s needs the Go module build (jetstream.go, nats.go's jetstream package); this binary was built from main.go alone", *kind)
		}
	default:
		err = fmt.Errorf("unknown kind %q", *kind)
	}
	r.OK = err == nil
	if err != nil {
		r.Error = err.Error()
	}
	r.SubErrors = b.subErrors.Load()
	r.ConnClosed = b.closedReason()
	b.closing.Store(true)
	for _, nc := range b.conns {
		nc.Close()
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}

// warmFloor and warmCount: the untimed operations before a timed part, the same rule as the bench's
// warmCount (bench/util.ts): a tenth of the count, and at least the count itself up to warmFloor.
const warmFloor = 5000

func warmCount(count int) int {
	return max(1, (count+9)/10, min(count, warmFloor))
}
