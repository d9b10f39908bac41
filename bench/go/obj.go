// The Object Store kinds of natsgo-bench (module build only, like jetstream.go):
//
//	objput  ObjectStore.PutBytes of one -size object per -count (warm-up: warmCount puts first)
//	objget  ObjectStore.Get of an object put before, read to its end with io.Copy into io.Discard
//	        (nats.go checks the digest at EOF); warm-up: warmCount gets first
//
// Each run creates its bucket (-storage, 128 KiB chunks: nats.go's default) before the warm-up and
// deletes it after the timed part. The same as bench/cases_obj.ts.
package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func init() {
	jsRunners["objput"] = (*bench).runObjPut
	jsRunners["objget"] = (*bench).runObjGet
}

const objChunk = 128 * 1024

// withObjStore creates the run's bucket, runs body and deletes the bucket.
func (b *bench) withObjStore(body func(obs jetstream.ObjectStore) error) error {
	_, js, err := b.openJS("obj")
	if err != nil {
		return err
	}
	storage := b.storageType()
	name := b.streamName()
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	obs, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: name, Storage: storage})
	if err != nil {
		return fmt.Errorf("create object store %s: %w", name, err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		_ = js.DeleteObjectStore(ctx, name)
	}()
	return body(obs)
}

func (b *bench) objPut(obs jetstream.ObjectStore, name string) error {
	info, err := obs.PutBytes(context.Background(), name, b.data)
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	chunks := (len(b.data) + objChunk - 1) / objChunk
	if info.Size != uint64(len(b.data)) || int(info.Chunks) != chunks {
		return fmt.Errorf("put %s: %d bytes in %d chunks, expected %d in %d", name, info.Size, info.Chunks, len(b.data), chunks)
	}
	return nil
}

func (b *bench) objRead(obs jetstream.ObjectStore, name string) error {
	res, err := obs.Get(context.Background(), name)
	if err != nil {
		return fmt.Errorf("get %s: %w", name, err)
	}
	defer res.Close()
	n, err := io.Copy(io.Discard, res)
	if err != nil {
		return fmt.Errorf("get %s: %w", name, err)
	}
	if n != int64(b.size) {
		return fmt.Errorf("get %s: %d bytes, expected %d", name, n, b.size)
	}
	return nil
}

func (b *bench) runObjPut(r *result) error {
	return b.withObjStore(func(obs jetstream.ObjectStore) error {
		for i := 0; i < b.warm; i++ {
			if err := b.objPut(obs, fmt.Sprintf("warm-%d", i)); err != nil {
				return err
			}
		}
		t0 := b.start()
		for i := 0; i < b.count; i++ {
			if err := b.objPut(obs, fmt.Sprintf("obj-%d", i)); err != nil {
				return err
			}
		}
		b.finish(r, int64(b.count), time.Since(t0))
		return nil
	})
}

func (b *bench) runObjGet(r *result) error {
	return b.withObjStore(func(obs jetstream.ObjectStore) error {
		if err := b.objPut(obs, "obj"); err != nil {
			return err
		}
		for i := 0; i < b.warm; i++ {
			if err := b.objRead(obs, "obj"); err != nil {
				return err
			}
		}
		t0 := b.start()
		for i := 0; i < b.count; i++ {
			if err := b.objRead(obs, "obj"); err != nil {
				return err
			}
		}
		b.finish(r, int64(b.count), time.Since(t0))
		return nil
	})
}
