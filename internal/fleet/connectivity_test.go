package fleet

import (
	"errors"
	"testing"
	"time"
)

func TestConnectivityValidate(t *testing.T) {
	sig := -70
	ok := Connectivity{ICCID: "a", ObservedAt: time.Now(), SignalStrength: &sig}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	huge := 1 << 40
	for name, mut := range map[string]func(*Connectivity){
		"no time": func(c *Connectivity) { c.ObservedAt = time.Time{} },
		"signal":  func(c *Connectivity) { c.SignalStrength = &huge },
		"rat":     func(c *Connectivity) { c.RAT = "\xff" },
	} {
		c := ok
		mut(&c)
		if ErrorCode(c.Validate()) != CodeInvalid {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValidateConnectivityLimit(t *testing.T) {
	for _, n := range []int{1, MaxPageSize} {
		if err := ValidateConnectivityLimit(n); err != nil {
			t.Errorf("ValidateConnectivityLimit(%d) = %v", n, err)
		}
	}
	for _, n := range []int{0, -1, MaxPageSize + 1} {
		if err := ValidateConnectivityLimit(n); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateConnectivityLimit(%d) = %v, want ErrInvalid", n, err)
		}
	}
}
