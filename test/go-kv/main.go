// kvinterop: the nats.go side of test/kv/interop.test.ts. Each run connects, does one thing with
// nats.go's jetstream Key-Value API and prints JSON on stdout (one line per result); on failure it
// prints the error on stderr and exits 1. Built and cached by test/support/go_client.ts.
//
//	kvinterop version                              "1.55.0 go1.26.8" (nats.Version, runtime.Version())
//	kvinterop create <url> <config json>           JetStream.CreateKeyValue; prints {"bucket"}
//	kvinterop script <url> <bucket> <ops json>     runs the operations in order, one result line each
//	kvinterop history <url> <bucket>               WatchAll with IncludeHistory: every entry until the initial values end
//	kvinterop get <url> <bucket> <key> [<rev>]     Get / GetRevision: the entry, or {"found":false}
//	kvinterop keys <url> <bucket>                  ListKeys: {"keys":[...]} in the order nats.go yields them
//
// The config is {"bucket", "description", "history", "ttl_ms", "max_bytes", "max_value_size",
// "storage" ("file"|"memory"), "compression", "limit_marker_ttl_ms", "metadata"}. An operation is
// {"op": "put"|"create"|"update"|"delete"|"purge", "key", "value_b64", "revision" (update: the
// expected revision; delete/purge: LastRevision when > 0), "ttl_ms" (create: KeyTTL, purge: PurgeTTL)}.
// A result is {"op", "key", "revision" (0 for delete/purge, which return none in nats.go), "error"}
// where error is "", "key_exists", "wrong_last_sequence" or the error's text.
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

type bucketConfig struct {
	Bucket           string            `json:"bucket"`
	Description      string            `json:"description"`
	History          uint8             `json:"history"`
	TTLms            int64             `json:"ttl_ms"`
	MaxBytes         int64             `json:"max_bytes"`
	MaxValueSize     int32             `json:"max_value_size"`
	Storage          string            `json:"storage"`
	Compression      bool              `json:"compression"`
	LimitMarkerTTLms int64             `json:"limit_marker_ttl_ms"`
	Metadata         map[string]string `json:"metadata"`
}

type operation struct {
	Op       string `json:"op"`
	Key      string `json:"key"`
	ValueB64 string `json:"value_b64"`
	Revision uint64 `json:"revision"`
	TTLms    int64  `json:"ttl_ms"`
}

type result struct {
	Op       string `json:"op"`
	Key      string `json:"key"`
	Revision uint64 `json:"revision"`
	Error    string `json:"error"`
}

type entry struct {
	Found     bool   `json:"found"`
	Key       string `json:"key,omitempty"`
	Revision  uint64 `json:"revision,omitempty"`
	Operation string `json:"operation,omitempty"`
	ValueB64  string `json:"value_b64"`
	Delta     uint64 `json:"delta"`
	Created   string `json:"created,omitempty"`
}

func emit(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(os.Stdout, string(b))
	return err
}

func opName(op jetstream.KeyValueOp) string {
	switch op {
	case jetstream.KeyValuePut:
		return "PUT"
	case jetstream.KeyValueDelete:
		return "DEL"
	case jetstream.KeyValuePurge:
		return "PURGE"
	}
	return op.String()
}

func entryOf(e jetstream.KeyValueEntry) entry {
	return entry{
		Found:     true,
		Key:       e.Key(),
		Revision:  e.Revision(),
		Operation: opName(e.Operation()),
		ValueB64:  base64.StdEncoding.EncodeToString(e.Value()),
		Delta:     e.Delta(),
		Created:   e.Created().UTC().Format(time.RFC3339Nano),
	}
}

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

// errorName: "key_exists" for a create refused because the key is live, "wrong_last_sequence" for
// any other 10071 (an update or a delete/purge with a stale revision), else the error's text.
func errorName(op string, err error) string {
	if err == nil {
		return ""
	}
	if op == "create" && errors.Is(err, jetstream.ErrKeyExists) {
		return "key_exists"
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
		return "wrong_last_sequence"
	}
	return err.Error()
}

func runOp(ctx context.Context, kv jetstream.KeyValue, o operation) result {
	value, err := base64.StdEncoding.DecodeString(o.ValueB64)
	if err != nil {
		return result{Op: o.Op, Key: o.Key, Error: "bad value_b64: " + err.Error()}
	}
	var rev uint64
	switch o.Op {
	case "put":
		rev, err = kv.Put(ctx, o.Key, value)
	case "create":
		var opts []jetstream.KVCreateOpt
		if o.TTLms > 0 {
			opts = append(opts, jetstream.KeyTTL(ms(o.TTLms)))
		}
		rev, err = kv.Create(ctx, o.Key, value, opts...)
	case "update":
		rev, err = kv.Update(ctx, o.Key, value, o.Revision)
	case "delete", "purge":
		var opts []jetstream.KVDeleteOpt
		if o.Revision > 0 {
			opts = append(opts, jetstream.LastRevision(o.Revision))
		}
		if o.Op == "delete" {
			err = kv.Delete(ctx, o.Key, opts...)
		} else {
			if o.TTLms > 0 {
				opts = append(opts, jetstream.PurgeTTL(ms(o.TTLms)))
			}
			err = kv.Purge(ctx, o.Key, opts...)
		}
	default:
		err = fmt.Errorf("unknown op %q", o.Op)
	}
	return result{Op: o.Op, Key: o.Key, Revision: rev, Error: errorName(o.Op, err)}
}

func run(args []string) error {
	if len(args) < 1 {
		return errors.New("usage: kvinterop version | create | script | history | get | keys")
	}
	if args[0] == "version" {
		return emit(fmt.Sprintf("%s %s", nats.Version, runtime.Version()))
	}
	if len(args) < 3 {
		return fmt.Errorf("%s: missing arguments", args[0])
	}
	nc, err := nats.Connect(args[1], nats.Timeout(timeout))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*timeout)
	defer cancel()

	if args[0] == "create" {
		var c bucketConfig
		if err := json.Unmarshal([]byte(args[2]), &c); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		cfg := jetstream.KeyValueConfig{
			Bucket:         c.Bucket,
			Description:    c.Description,
			History:        c.History,
			TTL:            ms(c.TTLms),
			MaxBytes:       c.MaxBytes,
			MaxValueSize:   c.MaxValueSize,
			Compression:    c.Compression,
			LimitMarkerTTL: ms(c.LimitMarkerTTLms),
			Metadata:       c.Metadata,
		}
		if c.Storage == "memory" {
			cfg.Storage = jetstream.MemoryStorage
		}
		kv, err := js.CreateKeyValue(ctx, cfg)
		if err != nil {
			return err
		}
		return emit(map[string]string{"bucket": kv.Bucket()})
	}

	kv, err := js.KeyValue(ctx, args[2])
	if err != nil {
		return err
	}
	switch args[0] {
	case "script":
		if len(args) < 4 {
			return errors.New("script: missing the operations")
		}
		var ops []operation
		if err := json.Unmarshal([]byte(args[3]), &ops); err != nil {
			return fmt.Errorf("operations: %w", err)
		}
		for _, o := range ops {
			if err := emit(runOp(ctx, kv, o)); err != nil {
				return err
			}
		}
		return nil
	case "history":
		w, err := kv.WatchAll(ctx, jetstream.IncludeHistory())
		if err != nil {
			return err
		}
		defer w.Stop()
		for e := range w.Updates() {
			if e == nil { // the initial values are done
				return nil
			}
			if err := emit(entryOf(e)); err != nil {
				return err
			}
		}
		return errors.New("history: the watcher ended before the initial values did")
	case "get":
		if len(args) < 4 {
			return errors.New("get: missing the key")
		}
		var e jetstream.KeyValueEntry
		if len(args) > 4 {
			rev, perr := strconv.ParseUint(args[4], 10, 64)
			if perr != nil {
				return perr
			}
			e, err = kv.GetRevision(ctx, args[3], rev)
		} else {
			e, err = kv.Get(ctx, args[3])
		}
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return emit(entry{Found: false})
		}
		if err != nil {
			return err
		}
		return emit(entryOf(e))
	case "keys":
		l, err := kv.ListKeys(ctx)
		if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
			return err
		}
		keys := []string{}
		if l != nil {
			for k := range l.Keys() {
				keys = append(keys, k)
			}
		}
		return emit(map[string][]string{"keys": keys})
	}
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
