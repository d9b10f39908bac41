// The Key-Value kinds of natsgo-bench (module build only, like jetstream.go):
//
//	kvput    KeyValue.Put one at a time over -keys keys (p50/p99 per put)
//	kvget    KeyValue.Get one at a time over -keys keys filled before (p50/p99 per get); with
//	         -direct=false the bucket's stream has allow_direct off, so gets go to the stream
//	         leader (STREAM.MSG.GET) instead of direct get
//	kvwatch  KeyValue.WatchAll of a bucket of warm-up + count keys, timed from the warm-up's last
//	         entry to the last initial value
//
// Each run creates its bucket (memory storage, history 1) before the warm-up and deletes it after
// the timed part. The same as bench/cases_kv.ts.
package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Flags of these kinds only (client_go.ts passes them only to them).
var (
	directFlag = flag.Bool("direct", true, "kvget: the bucket's allow_direct")
	keysFlag   = flag.Int("keys", 1000, "kvput, kvget: keys cycled over")
)

func init() {
	jsRunners["kvput"] = (*bench).runKvPut
	jsRunners["kvget"] = (*bench).runKvGet
	jsRunners["kvwatch"] = (*bench).runKvWatch
}

func kvKey(i int) string { return "k" + strconv.Itoa(i) }

type bucketRun struct {
	nc     *nats.Conn
	kv     jetstream.KeyValue
	stream jetstream.Stream
	name   string
}

// withBucket creates the run's bucket, runs body and deletes the bucket.
func (b *bench) withBucket(body func(br *bucketRun) error) error {
	nc, js, err := b.openJS("kv")
	if err != nil {
		return err
	}
	storage := b.storageType()
	name := b.streamName()
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, Storage: storage, History: 1})
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		_ = js.DeleteKeyValue(ctx, name)
	}()
	stream, err := js.Stream(ctx, "KV_"+name)
	if err != nil {
		return err
	}
	if !*directFlag {
		// KeyValueConfig has no allow_direct (CreateKeyValue always sets it): turn it off on the
		// bucket's stream and open the bucket again, which then gets values from the stream leader.
		cfg := stream.CachedInfo().Config
		cfg.AllowDirect = false
		if stream, err = js.UpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("allow_direct off: %w", err)
		}
		if kv, err = js.KeyValue(ctx, name); err != nil {
			return err
		}
	}
	return body(&bucketRun{nc: nc, kv: kv, stream: stream, name: name})
}

func (b *bench) fillKeys(br *bucketRun, n int) error {
	pre := "$KV." + br.name + "."
	return b.fillStream(br.nc, br.stream, func(i int) string { return pre + kvKey(i) }, n, 0)
}

func (b *bench) runKvPut(r *result) error {
	return b.withBucket(func(br *bucketRun) error {
		ctx := context.Background() // Put applies the context's default timeout
		keys := *keysFlag
		for i := 0; i < b.warm; i++ {
			if _, err := br.kv.Put(ctx, kvKey(i%keys), b.data); err != nil {
				return err
			}
		}
		lat := make([]time.Duration, b.count)
		t0 := b.start()
		for i := 0; i < b.count; i++ {
			t := time.Now()
			if _, err := br.kv.Put(ctx, kvKey((b.warm+i)%keys), b.data); err != nil {
				return err
			}
			lat[i] = time.Since(t)
		}
		b.finish(r, int64(b.count), time.Since(t0))
		latencies(r, lat)
		ctx2, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		info, err := br.stream.Info(ctx2)
		if err != nil {
			return err
		}
		expected := b.warm + b.count
		if keys < expected {
			expected = keys
		}
		if info.State.Msgs != uint64(expected) {
			return fmt.Errorf("bucket holds %d entries, expected %d", info.State.Msgs, expected)
		}
		return nil
	})
}

func (b *bench) runKvGet(r *result) error {
	return b.withBucket(func(br *bucketRun) error {
		keys := *keysFlag
		if err := b.fillKeys(br, keys); err != nil {
			return err
		}
		ctx := context.Background()
		get := func(i int) error {
			e, err := br.kv.Get(ctx, kvKey(i%keys))
			if err != nil {
				return fmt.Errorf("get %s: %w", kvKey(i%keys), err)
			}
			if len(e.Value()) != b.size {
				return fmt.Errorf("get %s: %d bytes", kvKey(i%keys), len(e.Value()))
			}
			return nil
		}
		for i := 0; i < b.warm; i++ {
			if err := get(i); err != nil {
				return err
			}
		}
		lat := make([]time.Duration, b.count)
		t0 := b.start()
		for i := 0; i < b.count; i++ {
			t := time.Now()
			if err := get(b.warm + i); err != nil {
				return err
			}
			lat[i] = time.Since(t)
		}
		b.finish(r, int64(b.count), time.Since(t0))
		latencies(r, lat)
		return nil
	})
}

func (b *bench) runKvWatch(r *result) error {
	return b.withBucket(func(br *bucketRun) error {
		total := b.warm + b.count
		if err := b.fillKeys(br, total); err != nil {
			return err
		}
		w, err := br.kv.WatchAll(context.Background())
		if err != nil {
			return err
		}
		defer func() { _ = w.Stop() }()
		n, bytes := 0, 0
		var t0, end time.Time
		stall := time.NewTimer(consumeStall)
		defer stall.Stop()
		for n < total {
			select {
			case e, ok := <-w.Updates():
				if !ok {
					return fmt.Errorf("the watch ended after %d of %d entries", n, total)
				}
				if e == nil { // the end of the initial values
					return fmt.Errorf("the initial values ended after %d of %d entries", n, total)
				}
				bytes += len(e.Value())
				n++
				if n == b.warm {
					t0 = b.start()
				} else if n == total {
					end = b.stop()
				}
				if n%1000 == 0 {
					stall.Reset(consumeStall)
				}
			case <-stall.C:
				return fmt.Errorf("stalled for %s after %d of %d entries", consumeStall, n, total)
			}
		}
		b.finish(r, int64(b.count), end.Sub(t0))
		if bytes != n*b.size {
			return fmt.Errorf("got %d value bytes in %d entries of %d B", bytes, n, b.size)
		}
		return nil
	})
}
