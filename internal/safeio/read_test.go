package safeio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	big := filepath.Join(dir, "big")
	fifo := filepath.Join(dir, "fifo")
	link := filepath.Join(dir, "link")
	if err := os.WriteFile(small, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		noFollow bool
		want     string
		is       error
		msg      string
	}{
		{name: "regular", path: small, want: "hello"},
		{name: "too large", path: big, is: ErrTooLarge, msg: "more than the 1 KiB allowed"},
		{name: "fifo does not block", path: fifo, is: ErrNotRegular, msg: "a named pipe"},
		{name: "directory", path: dir, is: ErrNotRegular, msg: "a directory"},
		{name: "device", path: "/dev/zero", is: ErrNotRegular, msg: "a character device"},
		{name: "link followed", path: link, want: "hello"},
		{name: "link refused", path: link, noFollow: true, msg: "is a symbolic link"},
		{name: "missing", path: filepath.Join(dir, "nope"), is: os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var got []byte
			var err error
			go func() {
				defer close(done)
				if tt.noFollow {
					got, err = ReadFileNoFollow(tt.path, 1024)
				} else {
					got, err = ReadFile(tt.path, 1024)
				}
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("read blocked")
			}
			if tt.want != "" {
				if err != nil || string(got) != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("read %q succeeded, want an error", got)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name the file", err)
			}
			if tt.msg != "" && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestReadAllBound(t *testing.T) {
	got, err := ReadAll(strings.NewReader(strings.Repeat("x", 10)), 10)
	if err != nil || len(got) != 10 {
		t.Fatalf("at the bound: %d bytes, %v", len(got), err)
	}
	if _, err := ReadAll(strings.NewReader(strings.Repeat("x", 11)), 10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the bound: %v", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 64 << 10: "64 KiB", 300: "300 bytes", 1500: "1500 bytes"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
