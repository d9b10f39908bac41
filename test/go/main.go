// jsinterop: the nats.go side of test/jetstream/interop.test.ts. Each run connects, does one thing
// with nats.go's jetstream package and prints JSON on stdout (one line per result); on failure it
// prints the error on stderr and exits 1. Built and cached by test/support/go_client.ts.
//
//	jsinterop version                                             "1.55.0 go1.26.8" (nats.Version, runtime.Version())
//	jsinterop get <url> <stream> <seq> [<seq>...]                 Stream.GetMsg, one {subject, seq, data_b64, headers, via, time} per seq
//	jsinterop consume <url> <stream> <count>                      an ordered consumer: the first <count> messages, as for get
//	jsinterop pub <url> <subject> <data_b64> <headers json> <msgid>   JetStream.PublishMsg: the PubAck {stream, seq, duplicate}
//	jsinterop info <url> <stream>                                 JetStream.Stream(...).Info: the config as nats.go decoded it
//	jsinterop add <url> <stream> <subject> <max_age> <duplicate_window>   JetStream.CreateStream (durations parsed by time.ParseDuration); prints as info
//	jsinterop addconsumer <url> <stream> <name>                   CreateOrUpdateConsumer: a durable pull consumer, explicit acks; prints {name, ack_policy}
//	jsinterop fetchack <url> <stream> <consumer> <count>          Consumer.Fetch of <count> messages, each acknowledged with DoubleAck; one {subject, seq, data_b64, headers, via: "consumer", time, delivered} per message
//
// Headers are a JSON object of key → list of values (nats.Header as is: case-sensitive keys, every
// value in order). `get` on a stream with allow_direct uses direct get (nats.go decides, as it does
// for applications) and says so in "via"; the headers are then exactly what nats.go returns,
// including the ones the server adds to a direct-get reply.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const timeout = 10 * time.Second

type storedMsg struct {
	Subject string              `json:"subject"`
	Seq     uint64              `json:"seq"`
	DataB64 string              `json:"data_b64"`
	Headers map[string][]string `json:"headers"`
	Via     string              `json:"via"`
	Time    string              `json:"time,omitempty"`
}

type streamView struct {
	Name              string            `json:"name"`
	Subjects          []string          `json:"subjects"`
	MaxAge            string            `json:"max_age"`
	MaxAgeNs          int64             `json:"max_age_ns"`
	DuplicateWindow   string            `json:"duplicate_window"`
	DuplicateWindowNs int64             `json:"duplicate_window_ns"`
	Metadata          map[string]string `json:"metadata"`
	AllowDirect       bool              `json:"allow_direct"`
	Storage           string            `json:"storage"`
	Description       string            `json:"description"`
	Messages          uint64            `json:"messages"`
}

func headersOf(h nats.Header) map[string][]string {
	out := map[string][]string{}
	for k, vs := range h {
		out[k] = append([]string{}, vs...)
	}
	return out
}

func emit(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(os.Stdout, string(b))
	return err
}

func view(info *jetstream.StreamInfo) streamView {
	c := info.Config
	md := c.Metadata
	if md == nil {
		md = map[string]string{}
	}
	subjects := c.Subjects
	if subjects == nil {
		subjects = []string{}
	}
	return streamView{
		Name:              c.Name,
		Subjects:          subjects,
		MaxAge:            c.MaxAge.String(),
		MaxAgeNs:          int64(c.MaxAge),
		DuplicateWindow:   c.Duplicates.String(),
		DuplicateWindowNs: int64(c.Duplicates),
		Metadata:          md,
		AllowDirect:       c.AllowDirect,
		Storage:           c.Storage.String(),
		Description:       c.Description,
		Messages:          info.State.Msgs,
	}
}

func connect(url string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url, nats.Name("tsnats-interop-natsgo"), nats.NoReconnect())
	if err != nil {
		return nil, nil, fmt.Errorf("connect %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: jsinterop version|get|consume|pub|info|add ...")
	}
	cmd, args := args[0], args[1:]
	if cmd == "version" {
		fmt.Println(nats.Version, runtime.Version())
		return nil
	}
	want := map[string]int{"get": 3, "consume": 3, "pub": 5, "info": 2, "add": 5, "addconsumer": 3, "fetchack": 4}[cmd]
	if want == 0 {
		return fmt.Errorf("unknown subcommand %q", cmd)
	}
	if len(args) < want || (cmd != "get" && len(args) != want) {
		return fmt.Errorf("%s: want %d arguments, got %d", cmd, want, len(args))
	}
	nc, js, err := connect(args[0])
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	switch cmd {
	case "get":
		s, err := js.Stream(ctx, args[1])
		if err != nil {
			return fmt.Errorf("stream %s: %w", args[1], err)
		}
		via := "api"
		if s.CachedInfo().Config.AllowDirect {
			via = "direct"
		}
		for _, a := range args[2:] {
			seq, err := strconv.ParseUint(a, 10, 64)
			if err != nil {
				return fmt.Errorf("seq %q: %w", a, err)
			}
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				return fmt.Errorf("get %s seq %d: %w", args[1], seq, err)
			}
			if err := emit(storedMsg{m.Subject, m.Sequence, base64.StdEncoding.EncodeToString(m.Data), headersOf(m.Header), via, m.Time.UTC().Format(time.RFC3339Nano)}); err != nil {
				return err
			}
		}
		return nil

	case "consume":
		count, err := strconv.Atoi(args[2])
		if err != nil || count < 1 {
			return fmt.Errorf("count %q: want a positive integer", args[2])
		}
		c, err := js.OrderedConsumer(ctx, args[1], jetstream.OrderedConsumerConfig{})
		if err != nil {
			return fmt.Errorf("ordered consumer on %s: %w", args[1], err)
		}
		for got := 0; got < count; {
			batch, err := c.Fetch(count-got, jetstream.FetchMaxWait(timeout))
			if err != nil {
				return err
			}
			n := 0
			for m := range batch.Messages() {
				n++
				md, err := m.Metadata()
				if err != nil {
					return err
				}
				if err := emit(storedMsg{m.Subject(), md.Sequence.Stream, base64.StdEncoding.EncodeToString(m.Data()), headersOf(m.Headers()), "consumer", md.Timestamp.UTC().Format(time.RFC3339Nano)}); err != nil {
					return err
				}
			}
			if err := batch.Error(); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("consume %s: got %d of %d messages", args[1], got, count)
			}
			got += n
		}
		return nil

	case "pub":
		data, err := base64.StdEncoding.DecodeString(args[2])
		if err != nil {
			return fmt.Errorf("data_b64: %w", err)
		}
		var hdrs map[string][]string
		if err := json.Unmarshal([]byte(args[3]), &hdrs); err != nil {
			return fmt.Errorf("headers json: %w", err)
		}
		msg := nats.NewMsg(args[1])
		msg.Data = data
		for k, vs := range hdrs {
			for _, v := range vs {
				msg.Header.Add(k, v)
			}
		}
		var opts []jetstream.PublishOpt
		if args[4] != "" {
			opts = append(opts, jetstream.WithMsgID(args[4]))
		}
		ack, err := js.PublishMsg(ctx, msg, opts...)
		if err != nil {
			return fmt.Errorf("publish to %s: %w", args[1], err)
		}
		return emit(map[string]any{"stream": ack.Stream, "seq": ack.Sequence, "duplicate": ack.Duplicate})

	case "addconsumer":
		c, err := js.CreateOrUpdateConsumer(ctx, args[1], jetstream.ConsumerConfig{
			Durable:   args[2],
			AckPolicy: jetstream.AckExplicitPolicy,
			AckWait:   30 * time.Second,
			Metadata:  map[string]string{"created-by": "nats.go"},
		})
		if err != nil {
			return fmt.Errorf("create consumer %s on %s: %w", args[2], args[1], err)
		}
		ci := c.CachedInfo()
		return emit(map[string]any{"name": ci.Name, "ack_policy": ci.Config.AckPolicy.String()})

	case "fetchack":
		count, err := strconv.Atoi(args[3])
		if err != nil || count < 1 {
			return fmt.Errorf("count %q: want a positive integer", args[3])
		}
		c, err := js.Consumer(ctx, args[1], args[2])
		if err != nil {
			return fmt.Errorf("consumer %s on %s: %w", args[2], args[1], err)
		}
		for got := 0; got < count; {
			batch, err := c.Fetch(count-got, jetstream.FetchMaxWait(timeout))
			if err != nil {
				return err
			}
			n := 0
			for m := range batch.Messages() {
				n++
				md, err := m.Metadata()
				if err != nil {
					return err
				}
				if err := m.DoubleAck(ctx); err != nil {
					return fmt.Errorf("double ack of seq %d: %w", md.Sequence.Stream, err)
				}
				if err := emit(map[string]any{
					"subject": m.Subject(), "seq": md.Sequence.Stream, "data_b64": base64.StdEncoding.EncodeToString(m.Data()),
					"headers": headersOf(m.Headers()), "via": "consumer", "time": md.Timestamp.UTC().Format(time.RFC3339Nano),
					"delivered": md.NumDelivered,
				}); err != nil {
					return err
				}
			}
			if err := batch.Error(); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("fetch from %s/%s: got %d of %d messages", args[1], args[2], got, count)
			}
			got += n
		}
		return nil

	case "info":
		s, err := js.Stream(ctx, args[1])
		if err != nil {
			return fmt.Errorf("stream %s: %w", args[1], err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		return emit(view(info))

	case "add":
		maxAge, err := time.ParseDuration(args[3])
		if err != nil {
			return fmt.Errorf("max_age: %w", err)
		}
		dupes, err := time.ParseDuration(args[4])
		if err != nil {
			return fmt.Errorf("duplicate_window: %w", err)
		}
		s, err := js.CreateStream(ctx, jetstream.StreamConfig{
			Name:       args[1],
			Subjects:   []string{args[2]},
			Storage:    jetstream.MemoryStorage,
			MaxAge:     maxAge,
			Duplicates: dupes,
			Metadata:   map[string]string{"created-by": "nats.go"},
		})
		if err != nil {
			return fmt.Errorf("create stream %s: %w", args[1], err)
		}
		return emit(view(s.CachedInfo()))
	}
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "jsinterop:", err)
		os.Exit(1)
	}
}
