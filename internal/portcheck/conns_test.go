package portcheck

import (
	"fmt"
	"testing"
)

func TestProcEstablished(t *testing.T) {
	// Port 24701 (0x607D): an established connection from 10.0.0.5:40000,
	// a listener, a TIME_WAIT (06) one; another port's connection; an
	// IPv6 connection from ::ffff:10.0.0.6 (unmapped).
	tcp := "   0: 0B00000A:607D 0500000A:9C40 01 00000000:00000000 00:00000000 00000000  0 0 1 1\n" +
		"   1: 00000000:607D 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 2 1\n" +
		"   2: 0B00000A:607D 0500000A:9C41 06 00000000:00000000 00:00000000 00000000  0 0 0 1\n" +
		"   3: 0B00000A:607E 0500000A:9C42 01 00000000:00000000 00:00000000 00000000  0 0 3 1\n"
	tcp6 := "   0: 0000000000000000FFFF00000B00000A:607D 0000000000000000FFFF00000600000A:9C43 01 00000000:00000000 00:00000000 00000000  0 0 4 1\n"
	root := fakeProc(t, tcp, tcp6, nil)
	got, err := Proc{Root: root}.Established(24701)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(got); s != "[10.0.0.5:40000 10.0.0.6:40003]" {
		t.Errorf("Established(24701) = %s, want [10.0.0.5:40000 10.0.0.6:40003]", s)
	}
	if _, err := (Proc{Root: fakeProc(t, "   0: zz:607D 0500000A:9C40 01 0 0 0 0 0 0 0\n", "", nil)}).Established(24701); err == nil {
		t.Error("a garbled address passed")
	}
}
