package once

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// BytesPerMB is how many bytes one 1NCE "MB" holds. 1NCE states it in the v2 spec: "1 megabyte
// = 1024 kilobytes" (and a kilobyte 1024 bytes), so data volumes given in MB are converted
// with factor 2^20 and rounded to the nearest byte (half away from zero).
const BytesPerMB = 1 << 20

// Decimal is a decimal number as 1NCE sends it: a JSON number in quotas and SIMs
// (435.787951) but a JSON string in v1 usage records ("0.002803"). It keeps the exact text so
// that converting to bytes does not go through a float. The empty Decimal means "absent".
type Decimal string

// UnmarshalJSON accepts a JSON number, a JSON string holding a decimal, or null.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*d = ""
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("once: decimal: %w", err)
		}
		s = strings.TrimSpace(s)
	}
	if s != "" && !validDecimal(s) {
		return fmt.Errorf("once: decimal: %q is not a number", s)
	}
	*d = Decimal(s)
	return nil
}

// MarshalJSON writes the decimal as a JSON number (0 when empty).
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d == "" {
		return []byte("0"), nil
	}
	if !validDecimal(string(d)) {
		return nil, fmt.Errorf("once: decimal: %q is not a number", string(d))
	}
	return []byte(d), nil
}

// Float64 returns the value as a float (0 when empty).
func (d Decimal) Float64() (float64, error) {
	if d == "" {
		return 0, nil
	}
	return strconv.ParseFloat(string(d), 64)
}

// ErrVolumeRange reports a volume too large to be held in an int64 count of bytes.
var ErrVolumeRange = errors.New("once: volume out of range")

// MBToBytes converts a 1NCE data volume in MB to bytes (see BytesPerMB): exact decimal
// arithmetic, rounded to the nearest byte, half away from zero. Negative volumes stay
// negative (v2 quotas can be overdrawn). The empty Decimal is 0.
func MBToBytes(mb Decimal) (int64, error) {
	return scaleRound(mb, BytesPerMB)
}

// Count converts a decimal count (SMS volumes) to an integer, rounding half away from zero.
func Count(d Decimal) (int64, error) { return scaleRound(d, 1) }

func scaleRound(d Decimal, factor int64) (int64, error) {
	if d == "" {
		return 0, nil
	}
	if !validDecimal(string(d)) {
		return 0, fmt.Errorf("once: %q is not a number", string(d))
	}
	// Exponents such as 1e999999999 would make big.Rat allocate without bound.
	if i := strings.IndexAny(string(d), "eE"); i >= 0 {
		exp, err := strconv.Atoi(string(d)[i+1:])
		if err != nil || exp > 40 || exp < -40 {
			return 0, fmt.Errorf("%w: %s", ErrVolumeRange, string(d))
		}
	}
	r, ok := new(big.Rat).SetString(string(d))
	if !ok {
		return 0, fmt.Errorf("once: %q is not a number", string(d))
	}
	r.Mul(r, new(big.Rat).SetInt64(factor))
	// Round half away from zero: add ±1/2, then truncate toward zero.
	half := big.NewRat(1, 2)
	if r.Sign() < 0 {
		half.Neg(half)
	}
	r.Add(r, half)
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if !q.IsInt64() {
		return 0, fmt.Errorf("%w: %s", ErrVolumeRange, string(d))
	}
	return q.Int64(), nil
}

// validDecimal accepts [+-]digits[.digits][e[+-]digits] (at least one digit in the mantissa),
// the shapes JSON and 1NCE use; it rejects "NaN", "Inf", fractions ("1/3") and hex, which
// strconv or big.Rat would otherwise take.
func validDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// LooseString is a string field that 1NCE sometimes sends as a JSON number (its own examples
// give a numeric imei; msc is a string in v1 and an integer in v2). It decodes from a string,
// a number (kept as written) or null.
type LooseString string

// UnmarshalJSON accepts a JSON string, number, boolean or null.
func (s *LooseString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("once: string: %w", err)
		}
		*s = LooseString(v)
	case string(b) == "true" || string(b) == "false":
		*s = LooseString(b)
	default:
		if !validDecimal(string(b)) {
			return fmt.Errorf("once: string: unexpected JSON %s", b)
		}
		*s = LooseString(b)
	}
	return nil
}

// LooseInt is an integer identifier that 1NCE sends as a JSON number (sometimes with a
// fraction part, "590.0", since v1 types it as number), a numeric string, or null.
type LooseInt int64

// UnmarshalJSON accepts an integral JSON number, a string holding one, or null.
func (n *LooseInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*n = 0
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("once: integer: %w", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = LooseInt(v)
		return nil
	}
	if !validDecimal(s) {
		return fmt.Errorf("once: integer: %q is not a number", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("once: integer: %q is not an integer", s)
	}
	*n = LooseInt(f)
	return nil
}

// DecimalString is a decimal that 1NCE types as a JSON string (v1 usage volumes and costs).
// It decodes like Decimal (string or number) and encodes back as a JSON string.
type DecimalString string

// UnmarshalJSON accepts what Decimal accepts.
func (d *DecimalString) UnmarshalJSON(b []byte) error {
	var x Decimal
	if err := x.UnmarshalJSON(b); err != nil {
		return err
	}
	*d = DecimalString(x)
	return nil
}

// MarshalJSON writes the decimal as a JSON string.
func (d DecimalString) MarshalJSON() ([]byte, error) { return json.Marshal(string(d)) }
