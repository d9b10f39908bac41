// gomicro: the nats.go side of test/services/interop.test.ts, using nats.go's micro package. Each
// subcommand connects, does one thing and prints JSON on stdout (one line per result); on failure it
// prints the error on stderr and exits 1. Built and cached by test/support/go_client.ts.
//
//	gomicro version                                   "1.55.0 go1.26.8" (nats.Version, runtime.Version())
//	gomicro serve <url> <name> <version>              runs a micro service until stdin closes (then
//	                                                  Stop, drain, exit 0); prints its Info once it listens
//	gomicro discover <url> <verb> <count> [<name> [<id>]]
//	                                                  one request to micro.ControlSubject(verb, name, id);
//	                                                  waits for <count> replies (at most 10 s), decodes each
//	                                                  into micro.Ping/Info/Stats refusing unknown fields, and
//	                                                  prints {"decoded": <re-encoded struct>, "raw": <reply>}
//	gomicro call <url> <subject> <data>               a request; prints {"data", "headers"} of the reply
//
// The served service: endpoint "echo" (metadata {"kind": "echo"}) answers the request's data; group
// "math" has "add" (JSON [a, b] → a + b, else error 400 "bad input"); "fail" answers error 503
// "unavailable" with data "try later". Its stats handler gives {"endpoint": <name>} as data.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

const timeout = 10 * time.Second

func emit(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(os.Stdout, string(b))
	return err
}

func connect(url string) (*nats.Conn, error) {
	return nats.Connect(url, nats.Timeout(timeout), nats.Name("gomicro"))
}

func serve(url, name, version string) error {
	nc, err := connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	svc, err := micro.AddService(nc, micro.Config{
		Name:         name,
		Version:      version,
		Description:  "nats.go micro service",
		Metadata:     map[string]string{"lang": "go"},
		StatsHandler: func(e *micro.Endpoint) any { return map[string]string{"endpoint": e.Name} },
	})
	if err != nil {
		return err
	}
	echo := micro.HandlerFunc(func(r micro.Request) { _ = r.Respond(r.Data()) })
	if err := svc.AddEndpoint("echo", echo, micro.WithEndpointMetadata(map[string]string{"kind": "echo"})); err != nil {
		return err
	}
	add := micro.HandlerFunc(func(r micro.Request) {
		var ab []float64
		if err := json.Unmarshal(r.Data(), &ab); err != nil || len(ab) != 2 {
			_ = r.Error("400", "bad input", nil)
			return
		}
		_ = r.RespondJSON(ab[0] + ab[1])
	})
	if err := svc.AddGroup("math").AddEndpoint("add", add); err != nil {
		return err
	}
	fail := micro.HandlerFunc(func(r micro.Request) { _ = r.Error("503", "unavailable", []byte("try later")) })
	if err := svc.AddEndpoint("fail", fail); err != nil {
		return err
	}
	if err := nc.Flush(); err != nil {
		return err
	}
	if err := emit(svc.Info()); err != nil {
		return err
	}
	// serve until the parent closes stdin
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	if err := svc.Stop(); err != nil {
		return err
	}
	return nc.Drain()
}

func decodeStrict(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func discover(url, verbName string, count int, name, id string) error {
	verbs := map[string]micro.Verb{"PING": micro.PingVerb, "INFO": micro.InfoVerb, "STATS": micro.StatsVerb}
	verb, ok := verbs[strings.ToUpper(verbName)]
	if !ok {
		return fmt.Errorf("unknown verb %q", verbName)
	}
	subject, err := micro.ControlSubject(verb, name, id)
	if err != nil {
		return err
	}
	nc, err := connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return err
	}
	if err := nc.PublishRequest(subject, inbox, nil); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for i := 0; i < count; i++ {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			return fmt.Errorf("reply %d of %d on %s: %w", i+1, count, subject, err)
		}
		var decoded any
		switch verb {
		case micro.PingVerb:
			decoded = &micro.Ping{}
		case micro.InfoVerb:
			decoded = &micro.Info{}
		default:
			decoded = &micro.Stats{}
		}
		if err := decodeStrict(m.Data, decoded); err != nil {
			return fmt.Errorf("decoding %s reply %s: %w", verbName, string(m.Data), err)
		}
		if err := emit(map[string]any{"decoded": decoded, "raw": json.RawMessage(m.Data)}); err != nil {
			return err
		}
	}
	return nil
}

func call(url, subject, data string) error {
	nc, err := connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	m, err := nc.Request(subject, []byte(data), timeout)
	if err != nil {
		return err
	}
	h := map[string][]string{}
	for k, vs := range m.Header {
		h[k] = append([]string{}, vs...)
	}
	return emit(map[string]any{"data": string(m.Data), "headers": h})
}

func run(args []string) error {
	if len(args) < 1 {
		return errors.New("usage: gomicro version|serve|discover|call ...")
	}
	switch args[0] {
	case "version":
		_, err := fmt.Printf("%s %s\n", nats.Version, runtime.Version())
		return err
	case "serve":
		if len(args) != 4 {
			return errors.New("usage: gomicro serve <url> <name> <version>")
		}
		return serve(args[1], args[2], args[3])
	case "discover":
		if len(args) < 4 || len(args) > 6 {
			return errors.New("usage: gomicro discover <url> <verb> <count> [<name> [<id>]]")
		}
		count, err := strconv.Atoi(args[3])
		if err != nil {
			return err
		}
		name, id := "", ""
		if len(args) > 4 {
			name = args[4]
		}
		if len(args) > 5 {
			id = args[5]
		}
		return discover(args[1], args[2], count, name, id)
	case "call":
		if len(args) != 4 {
			return errors.New("usage: gomicro call <url> <subject> <data>")
		}
		return call(args[1], args[2], args[3])
	}
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
