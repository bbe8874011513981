package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
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
		var err error
		if s, err = unquote(b); err != nil {
			return fmt.Errorf("wire: decimal: %w", err)
		}
		s = strings.TrimSpace(s)
	}
	if s != "" && !validDecimal(s) {
		return fmt.Errorf("wire: decimal: %q is not a number", s)
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
		return nil, fmt.Errorf("wire: decimal: %q is not a number", string(d))
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
var ErrVolumeRange = errors.New("wire: volume out of range")

// MBToBytes converts a 1NCE data volume in MB to bytes (see BytesPerMB): exact decimal
// arithmetic, rounded to the nearest byte, half away from zero. Negative volumes stay
// negative (v2 quotas can be overdrawn). The empty Decimal is 0.
func MBToBytes(mb Decimal) (int64, error) {
	return scaleRound(mb, BytesPerMB)
}

// RoundCount converts a decimal count (SMS volumes, which 1NCE also sends as decimals) to an
// integer, rounding half away from zero.
func RoundCount(d Decimal) (int64, error) { return scaleRound(d, 1) }

func scaleRound(d Decimal, factor int64) (int64, error) {
	if d == "" {
		return 0, nil
	}
	if v, ok := scaleFast(string(d), factor); ok {
		return v, nil
	}
	return scaleRoundBig(d, factor)
}

// pow10 holds 10^0 … 10^18.
var pow10 = func() (p [19]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// scaleFast is scaleRound for plain decimals of at most 18 digits (every volume 1NCE sends),
// in 128-bit integer arithmetic instead of big.Rat: a fleet sync maps two volumes per SIM. It
// reports false when the input needs the general path (exponent, too many digits, overflow).
func scaleFast(s string, factor int64) (int64, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var m uint64
	digits, frac, dot := 0, 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !dot:
			dot = true
		case c >= '0' && c <= '9' && digits < 18:
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		default:
			return 0, false
		}
	}
	if digits == 0 || factor <= 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(m, uint64(factor))
	div := pow10[frac]
	if hi >= div {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, div)
	if r >= div-r { // r ≥ div/2 without overflow: round half away from zero
		q++
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(q), true
	}
	return int64(q), true
}

// scaleRoundBig is the general path of scaleRound in exact rational arithmetic.
func scaleRoundBig(d Decimal, factor int64) (int64, error) {
	if !validDecimal(string(d)) {
		return 0, fmt.Errorf("wire: %q is not a number", string(d))
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
		return 0, fmt.Errorf("wire: %q is not a number", string(d))
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
		v, err := unquote(b)
		if err != nil {
			return fmt.Errorf("wire: string: %w", err)
		}
		*s = LooseString(v)
	case string(b) == "true" || string(b) == "false":
		*s = LooseString(b)
	default:
		if !validDecimal(string(b)) {
			return fmt.Errorf("wire: string: unexpected JSON %s", b)
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
		var err error
		if s, err = unquote(b); err != nil {
			return fmt.Errorf("wire: integer: %w", err)
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
		return fmt.Errorf("wire: integer: %q is not a number", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("wire: integer: %q is not an integer", s)
	}
	*n = LooseInt(f)
	return nil
}

// unquote returns the content of a JSON string token. Plain strings (no escapes) are cut out
// without a second decoder pass: these types are decoded for every field of every SIM of a
// fleet sync, where json.Unmarshal per field doubled the allocations.
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		plain := true
		for _, c := range b[1 : len(b)-1] {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain {
			return string(b[1 : len(b)-1]), nil
		}
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
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
