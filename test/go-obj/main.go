// objinterop: the nats.go side of test/obj/interop.test.ts. Each run connects, does one thing with
// nats.go's jetstream object store and prints one JSON line on stdout; on failure it prints the
// error on stderr and exits 1. Built and cached by test/support/go_client.ts.
//
//	objinterop version                                              "1.55.0 go1.26.8" (nats.Version, runtime.Version())
//	objinterop objput <url> <bucket> <name_b64> <file> <chunk_size>  ObjectStore.Put of the file's bytes (chunk_size 0: the default); prints the ObjectInfo
//	objinterop objget <url> <bucket> <name_b64> <file>               ObjectStore.Get into the file; prints {"info", "error"} ("error": what reading returned, "" when the digest matched)
//	objinterop objinfo <url> <bucket> <name_b64>                     ObjectStore.GetInfo; prints the ObjectInfo, or {"not_found": true}
//
// Object names are passed base64-encoded (standard alphabet, of their UTF-8 bytes) so any name
// survives the command line. ObjectInfo is printed as nats.go marshals it (its stored JSON form,
// with mtime as nats.go set it).
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const timeout = 60 * time.Second

type getResult struct {
	Info  *jetstream.ObjectInfo `json:"info"`
	Error string                `json:"error"`
}

func emit(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(os.Stdout, string(b))
	return err
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: objinterop version|objput|objget|objinfo ...")
	}
	cmd, args := args[0], args[1:]
	if cmd == "version" {
		fmt.Println(nats.Version, runtime.Version())
		return nil
	}
	want := map[string]int{"objput": 5, "objget": 4, "objinfo": 3}[cmd]
	if want == 0 {
		return fmt.Errorf("unknown subcommand %q", cmd)
	}
	if len(args) != want {
		return fmt.Errorf("%s: want %d arguments, got %d", cmd, want, len(args))
	}
	nameBytes, err := base64.StdEncoding.DecodeString(args[2])
	if err != nil {
		return fmt.Errorf("object name %q is not base64: %w", args[2], err)
	}
	name := string(nameBytes)

	nc, err := nats.Connect(args[0], nats.Name("tsnats-interop-natsgo-obj"), nats.NoReconnect())
	if err != nil {
		return fmt.Errorf("connect %s: %w", args[0], err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	os_, err := js.ObjectStore(ctx, args[1])
	if err != nil {
		return fmt.Errorf("open object store %s: %w", args[1], err)
	}

	switch cmd {
	case "objput":
		f, err := os.Open(args[3])
		if err != nil {
			return err
		}
		defer f.Close()
		chunk, err := strconv.ParseUint(args[4], 10, 32)
		if err != nil {
			return fmt.Errorf("chunk size %q: %w", args[4], err)
		}
		meta := jetstream.ObjectMeta{Name: name}
		if chunk > 0 {
			meta.Opts = &jetstream.ObjectMetaOptions{ChunkSize: uint32(chunk)}
		}
		info, err := os_.Put(ctx, meta, f)
		if err != nil {
			return fmt.Errorf("put: %w", err)
		}
		return emit(info)
	case "objget":
		res, err := os_.Get(ctx, name)
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		defer res.Close()
		f, err := os.Create(args[3])
		if err != nil {
			return err
		}
		_, copyErr := io.Copy(f, res)
		if err := f.Close(); err != nil {
			return err
		}
		info, _ := res.Info()
		out := getResult{Info: info}
		if copyErr != nil {
			out.Error = copyErr.Error()
		}
		return emit(out)
	case "objinfo":
		info, err := os_.GetInfo(ctx, name)
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return emit(map[string]bool{"not_found": true})
		}
		if err != nil {
			return fmt.Errorf("info: %w", err)
		}
		return emit(info)
	}
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
