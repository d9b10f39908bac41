// The consumer kinds of natsgo-bench (module build only, like jetstream.go):
//
//	jsconsume  a durable pull consumer's Consume(handler, PullMaxMessages(batch)); -ack explicit
//	           (each message acked with Msg.Ack) or none (ack_policy none)
//	jsfetch    Fetch(batch) one after another, each message acked, until the stream is read
//	jsordered  js.OrderedConsumer(...).Consume(handler, PullMaxMessages(batch))
//
// Each run creates its stream (withStream in jetstream.go) and fills it with warm-up + count
// messages before anything is timed (core publishes, 10,000 at a time, each chunk waited for until
// stored), then adds the consumer (durable "bench", deliver all, the server's defaults otherwise)
// and consumes everything. Timed from the warm-up's last message to the last message (with acks:
// to the flush after its ack). Afterwards it checks the payload bytes and, from consumer info,
// that everything was delivered (and acked). The same as bench/cases_consume.ts.
package main

import (
	"context"
	"flag"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	fillChunk     = 10000
	fillTimeout   = 20 * time.Second
	consumeStall  = 5 * time.Second
	checkTimeout  = 5 * time.Second
	benchConsumer = "bench"
)

// Flags of these kinds only (client_go.ts passes them only to them).
var ackFlag = flag.String("ack", "explicit", "jsconsume, jsfetch: explicit or none")

func init() {
	jsRunners["jsconsume"] = func(b *bench, r *result) error { return b.runJsConsume(r, false) }
	jsRunners["jsordered"] = func(b *bench, r *result) error { return b.runJsConsume(r, true) }
	jsRunners["jsfetch"] = (*bench).runJsFetch
}

// fillStream publishes n messages to subject(i) and waits until the stream holds base+n.
func (b *bench) fillStream(nc *nats.Conn, stream jetstream.Stream, subject func(int) string, n, base int) error {
	for i := 0; i < n; {
		end := i + fillChunk
		if end > n {
			end = n
		}
		for ; i < end; i++ {
			if err := nc.Publish(subject(i), b.data); err != nil {
				return err
			}
		}
		if err := nc.FlushTimeout(flushTimeout); err != nil {
			return err
		}
		deadline := time.Now().Add(fillTimeout)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
			info, err := stream.Info(ctx)
			cancel()
			if err != nil {
				return fmt.Errorf("filling: %w", err)
			}
			if info.State.Msgs >= uint64(base+i) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("filling: the stream holds %d messages after %d were published", info.State.Msgs, base+i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

// waitCount returns the time sent on reached, or an error when the counter does not move for
// consumeStall or a connection closed.
func (b *bench) waitCount(n *atomic.Int64, reached <-chan time.Time, target int64) (time.Time, error) {
	last := n.Load()
	lastAt := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case at := <-reached:
			return at, nil
		case now := <-tick.C:
			if c := n.Load(); c != last {
				last, lastAt = c, now
			}
			if closed := b.closedReason(); closed != "" {
				return now, fmt.Errorf("%s after %d of %d messages", closed, last, target)
			}
			if now.Sub(lastAt) > consumeStall {
				return now, fmt.Errorf("stalled for %s after %d of %d messages", consumeStall, last, target)
			}
		}
	}
}

func (b *bench) ackPolicy(ordered bool) (jetstream.AckPolicy, error) {
	switch {
	case ordered || *ackFlag == "none":
		return jetstream.AckNonePolicy, nil
	case *ackFlag == "explicit":
		return jetstream.AckExplicitPolicy, nil
	default:
		return 0, fmt.Errorf("-ack must be explicit or none, got %q", *ackFlag)
	}
}

// prepareConsumer fills the run's stream with total messages and returns the consumer.
func (b *bench) prepareConsumer(nc *nats.Conn, js jetstream.JetStream, total int, ordered bool) (jetstream.Consumer, jetstream.AckPolicy, error) {
	ack, err := b.ackPolicy(ordered)
	if err != nil {
		return nil, ack, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	stream, err := js.Stream(ctx, b.streamName())
	if err != nil {
		return nil, ack, err
	}
	if err := b.fillStream(nc, stream, func(int) string { return b.subject }, total, 0); err != nil {
		return nil, ack, err
	}
	if ordered {
		c, err := js.OrderedConsumer(ctx, b.streamName(), jetstream.OrderedConsumerConfig{})
		return c, ack, err
	}
	c, err := js.CreateConsumer(ctx, b.streamName(), jetstream.ConsumerConfig{
		Durable: benchConsumer, AckPolicy: ack, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	return c, ack, err
}

// checkConsumer polls consumer info until everything was delivered (and, with acks, acked).
func checkConsumer(c jetstream.Consumer, total uint64, ack jetstream.AckPolicy) error {
	deadline := time.Now().Add(checkTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		info, err := c.Info(ctx)
		cancel()
		if err != nil {
			return err
		}
		if info.Delivered.Stream == total && info.NumPending == 0 && (ack == jetstream.AckNonePolicy || info.AckFloor.Stream == total) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("consumer: delivered %d, ack floor %d, pending %d; expected %d", info.Delivered.Stream, info.AckFloor.Stream, info.NumPending, total)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *bench) runJsConsume(r *result, ordered bool) error {
	nc, js, err := b.openJS("js")
	if err != nil {
		return err
	}
	return b.withStream(js, false, func() (uint64, error) {
		total := b.warm + b.count
		cons, ack, err := b.prepareConsumer(nc, js, total, ordered)
		if err != nil {
			return 0, err
		}
		doAck := ack == jetstream.AckExplicitPolicy
		var n, bytes atomic.Int64
		var ackErr atomic.Value
		started := make(chan time.Time, 1)
		reached := make(chan time.Time, 1)
		cc, err := cons.Consume(func(m jetstream.Msg) {
			bytes.Add(int64(len(m.Data())))
			if doAck {
				if err := m.Ack(); err != nil {
					ackErr.CompareAndSwap(nil, err.Error())
				}
			}
			switch n.Add(1) {
			case int64(b.warm):
				started <- b.start()
			case int64(total):
				reached <- b.stop()
			}
		}, jetstream.PullMaxMessages(b.batch))
		if err != nil {
			return 0, err
		}
		defer cc.Stop()
		t0, err := b.waitCount(&n, started, int64(b.warm))
		if err != nil {
			return 0, err
		}
		end, err := b.waitCount(&n, reached, int64(total))
		if err != nil {
			return 0, err
		}
		if doAck {
			if err := nc.FlushTimeout(flushTimeout); err != nil {
				return 0, err
			}
			end = b.stop()
		}
		cc.Stop()
		b.finish(r, int64(b.count), end.Sub(t0))
		if e, ok := ackErr.Load().(string); ok {
			return 0, fmt.Errorf("ack: %s", e)
		}
		if got := n.Load(); bytes.Load() != got*int64(b.size) {
			return 0, fmt.Errorf("got %d payload bytes in %d messages of %d B", bytes.Load(), got, b.size)
		}
		if !ordered {
			if err := checkConsumer(cons, uint64(total), ack); err != nil {
				return 0, err
			}
		}
		return uint64(total), nil
	})
}

func (b *bench) runJsFetch(r *result) error {
	nc, js, err := b.openJS("js")
	if err != nil {
		return err
	}
	return b.withStream(js, false, func() (uint64, error) {
		total := b.warm + b.count
		cons, ack, err := b.prepareConsumer(nc, js, total, false)
		if err != nil {
			return 0, err
		}
		doAck := ack == jetstream.AckExplicitPolicy
		n, bytes := 0, 0
		var t0 time.Time
		for n < total {
			want := b.batch
			if total-n < want {
				want = total - n
			}
			batch, err := cons.Fetch(want)
			if err != nil {
				return 0, err
			}
			before := n
			for m := range batch.Messages() {
				bytes += len(m.Data())
				if doAck {
					if err := m.Ack(); err != nil {
						return 0, fmt.Errorf("ack: %w", err)
					}
				}
				n++
				if n == b.warm {
					t0 = b.start()
				}
			}
			if err := batch.Error(); err != nil {
				return 0, fmt.Errorf("fetch after %d of %d messages: %w", n, total, err)
			}
			if n == before {
				return 0, fmt.Errorf("a fetch of %d ended without messages after %d of %d", want, n, total)
			}
			if closed := b.closedReason(); closed != "" {
				return 0, fmt.Errorf("%s after %d of %d messages", closed, n, total)
			}
		}
		if doAck {
			if err := nc.FlushTimeout(flushTimeout); err != nil {
				return 0, err
			}
		}
		b.finish(r, int64(b.count), time.Since(t0))
		if bytes != n*b.size {
			return 0, fmt.Errorf("got %d payload bytes in %d messages of %d B", bytes, n, b.size)
		}
		if err := checkConsumer(cons, uint64(total), ack); err != nil {
			return 0, err
		}
		return uint64(total), nil
	})
}
