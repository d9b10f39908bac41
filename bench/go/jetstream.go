// The JetStream kinds of natsgo-bench (module build only: nats.go's jetstream package, absent from
// the Debian fallback's nats.go 1.22, which builds main.go alone).
//
//	jspub    js.Publish, one at a time (p50/p99 per publish)
//	jsasync  js.PublishAsync with jetstream.WithPublishAsyncMaxPending(window), timed until
//	         PublishAsyncComplete() (every ack in)
//	jsbatch  atomic batches (ADR-50). nats.go v1.55's jetstream package has no batch API (it is
//	         in synadia-io/orbit.go's jetstreamext), so this speaks the wire protocol directly, as
//	         orbit.go and nats.js do: the first message as a request (waiting for its empty
//	         reply), the middle ones as plain publishes, the commit as a request whose reply is
//	         the batch's PubAck (batch id and count checked).
//
// Each run creates its stream (one subject, -storage, 1 replica; allow_atomic for jsbatch) before
// the warm-up, checks after the timed part that it holds every message, and deletes it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

const (
	apiTimeout      = 10 * time.Second
	completeTimeout = 60 * time.Second
)

func init() {
	jsRunners["jspub"] = (*bench).runJsPub
	jsRunners["jsasync"] = (*bench).runJsAsync
	jsRunners["jsbatch"] = (*bench).runJsBatch
}

var streamNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// streamName matches streamName() in bench/util.ts.
func (b *bench) streamName() string {
	return "BENCH_" + streamNameUnsafe.ReplaceAllString(b.tag, "_")
}

// openJS opens a connection for `role` with a jetstream.JetStream on it (default options).
func (b *bench) openJS(role string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := b.open(role)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, nil, err
	}
	return nc, js, nil
}

// storageType is the -storage flag as a jetstream.StorageType.
func (b *bench) storageType() jetstream.StorageType {
	if b.storage == "file" {
		return jetstream.FileStorage
	}
	return jetstream.MemoryStorage
}

// withStream creates the run's stream, runs body (which returns how many messages the stream
// should then hold), checks that it does, and deletes the stream.
func (b *bench) withStream(js jetstream.JetStream, allowAtomic bool, body func() (uint64, error)) error {
	storage := b.storageType()
	name := b.streamName()
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: []string{b.subject}, Storage: storage, Replicas: 1, AllowAtomicPublish: allowAtomic,
	})
	if err != nil {
		return fmt.Errorf("create stream %s: %w", name, err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		_ = js.DeleteStream(ctx, name)
	}()
	expected, err := body()
	if err != nil {
		return err
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel2()
	info, err := stream.Info(ctx2)
	if err != nil {
		return fmt.Errorf("stream info %s: %w", name, err)
	}
	if info.State.Msgs != expected {
		return fmt.Errorf("stream %s holds %d messages, expected %d", name, info.State.Msgs, expected)
	}
	return nil
}

func latencies(r *result, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p99 := percentileUs(lat, 0.5), percentileUs(lat, 0.99)
	r.P50Us, r.P99Us = &p50, &p99
}

func (b *bench) runJsPub(r *result) error {
	_, js, err := b.openJS("js")
	if err != nil {
		return err
	}
	return b.withStream(js, false, func() (uint64, error) {
		ctx := context.Background() // Publish applies the context's default timeout (5 s)
		for i := 0; i < b.warm; i++ {
			if _, err := js.Publish(ctx, b.subject, b.data); err != nil {
				return 0, err
			}
		}
		lat := make([]time.Duration, b.count)
		t0 := b.start()
		for i := 0; i < b.count; i++ {
			t := time.Now()
			if _, err := js.Publish(ctx, b.subject, b.data); err != nil {
				return 0, err
			}
			lat[i] = time.Since(t)
		}
		b.finish(r, int64(b.count), time.Since(t0))
		latencies(r, lat)
		return uint64(b.warm + b.count), nil
	})
}

func (b *bench) runJsAsync(r *result) error {
	nc, err := b.open("js")
	if err != nil {
		return err
	}
	var acks, errs atomic.Int64
	var firstErr atomic.Value
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(b.window),
		jetstream.WithPublishAsyncAckHandler(func(jetstream.JetStream, *nats.Msg, *jetstream.PubAck) { acks.Add(1) }),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, _ *nats.Msg, err error) {
			errs.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
		}),
	)
	if err != nil {
		return err
	}
	drive := func(n int) error {
		for i := 0; i < n; i++ {
			// PublishAsync blocks while the window is full, for up to its stall wait (200 ms); a
			// longer wait is not an error here, so try again.
			for {
				_, err := js.PublishAsync(b.subject, b.data)
				if err == nil {
					break
				}
				if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
					return err
				}
			}
		}
		select {
		case <-js.PublishAsyncComplete():
			return nil
		case <-time.After(completeTimeout):
			return fmt.Errorf("%d async publishes still pending after %s", js.PublishAsyncPending(), completeTimeout)
		}
	}
	return b.withStream(js, false, func() (uint64, error) {
		if err := drive(b.warm); err != nil {
			return 0, err
		}
		t0 := b.start()
		if err := drive(b.count); err != nil {
			return 0, err
		}
		b.finish(r, int64(b.count), time.Since(t0))
		total := int64(b.warm + b.count)
		if errs.Load() > 0 || acks.Load() != total {
			first, _ := firstErr.Load().(string)
			return 0, fmt.Errorf("%d acks and %d errors for %d publishes (first: %s)", acks.Load(), errs.Load(), total, first)
		}
		return uint64(total), nil
	})
}

type batchAck struct {
	Stream string `json:"stream"`
	Seq    uint64 `json:"seq"`
	Batch  string `json:"batch"`
	Count  int    `json:"count"`
	Error  *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
}

func (a *batchAck) err() error {
	if a.Error == nil {
		return nil
	}
	return fmt.Errorf("%s (%d, err_code %d)", a.Error.Description, a.Error.Code, a.Error.ErrCode)
}

// publishBatch sends one atomic batch of b.batch messages by hand (see the top of this file).
func (b *bench) publishBatch(nc *nats.Conn) error {
	id := nuid.Next()
	for i := 1; i <= b.batch; i++ {
		m := &nats.Msg{Subject: b.subject, Data: b.data, Header: nats.Header{
			"Nats-Batch-Id":       []string{id},
			"Nats-Batch-Sequence": []string{strconv.Itoa(i)},
		}}
		switch {
		case i == b.batch:
			m.Header["Nats-Batch-Commit"] = []string{"1"}
			resp, err := nc.RequestMsg(m, requestTimeout)
			if err != nil {
				return fmt.Errorf("batch commit: %w", err)
			}
			var ack batchAck
			if err := json.Unmarshal(resp.Data, &ack); err != nil {
				return fmt.Errorf("batch commit: invalid ack %q", resp.Data)
			}
			if err := ack.err(); err != nil {
				return fmt.Errorf("batch commit: %w", err)
			}
			if ack.Stream == "" || ack.Batch != id || ack.Count != b.batch {
				return fmt.Errorf("batch %s: ack for batch %q with %d messages, expected %d", id, ack.Batch, ack.Count, b.batch)
			}
		case i == 1:
			resp, err := nc.RequestMsg(m, requestTimeout)
			if err != nil {
				return fmt.Errorf("batch first message: %w", err)
			}
			if len(resp.Data) > 0 {
				var ack batchAck
				if err := json.Unmarshal(resp.Data, &ack); err == nil && ack.err() != nil {
					return fmt.Errorf("batch first message: %w", ack.err())
				}
			}
		default:
			if err := nc.PublishMsg(m); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bench) runJsBatch(r *result) error {
	nc, js, err := b.openJS("js")
	if err != nil {
		return err
	}
	if b.batch < 2 {
		return fmt.Errorf("-batch must be at least 2")
	}
	batches := b.count / b.batch
	if batches < 1 {
		batches = 1
	}
	warm := warmCount(batches)
	return b.withStream(js, true, func() (uint64, error) {
		for i := 0; i < warm; i++ {
			if err := b.publishBatch(nc); err != nil {
				return 0, err
			}
		}
		lat := make([]time.Duration, batches)
		t0 := b.start()
		for i := 0; i < batches; i++ {
			t := time.Now()
			if err := b.publishBatch(nc); err != nil {
				return 0, err
			}
			lat[i] = time.Since(t)
		}
		b.finish(r, int64(batches*b.batch), time.Since(t0))
		latencies(r, lat)
		return uint64((warm + batches) * b.batch), nil
	})
}
