package fleet

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorMatching(t *testing.T) {
	err := fmt.Errorf("get sim 123: %w", Errorf(CodeNotFound, "sim %s not found", "123"))
	if !errors.Is(err, ErrNotFound) {
		t.Error("wrapped not-found does not match ErrNotFound")
	}
	if errors.Is(err, ErrConflict) {
		t.Error("not-found matches ErrConflict")
	}
	if got := ErrorCode(err); got != CodeNotFound {
		t.Errorf("code = %s", got)
	}
	if got := ErrorMessage(errors.New("pq: secret detail")); got != "internal error" {
		t.Errorf("internal error leaks: %q", got)
	}
	if got := ErrorCode(Invalid("iccid", "must be digits")); got != CodeInvalid {
		t.Errorf("code = %s", got)
	}
}
