package control

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// ValidateICCID checks an ICCID as the API accepts it: 19 or 20 digits (ITU-T E.118), and
// when it has 20 the last is a Luhn check digit that must match. 1NCE's own ICCIDs have 19
// digits without the check digit (their iccid_with_luhn has 20).
func ValidateICCID(field, iccid string) error {
	if n := len(iccid); n < 19 || n > 20 {
		return fleet.Invalid(field, "an ICCID has 19 or 20 digits, got %d characters", len(iccid))
	}
	if !allDigits(iccid) {
		return fleet.Invalid(field, "an ICCID has only digits")
	}
	if len(iccid) == 20 && !luhnValid(iccid) {
		return fleet.Invalid(field, "the ICCID's check digit does not match (Luhn)")
	}
	return nil
}

// CanonicalICCID validates an ICCID and returns the form 1NCE and the mirror key SIMs by:
// 19 digits, the Luhn check digit of a 20-digit ICCID (as printed on the card) dropped.
func CanonicalICCID(field, iccid string) (string, error) {
	if err := ValidateICCID(field, iccid); err != nil {
		return "", err
	}
	return iccid[:19], nil
}

// CanonicalICCIDs validates a list of ICCIDs (at least one, at most max) and returns their
// canonical forms in order.
func CanonicalICCIDs(field string, iccids []string, max int) ([]string, error) {
	if len(iccids) == 0 {
		return nil, fleet.Invalid(field, "must list at least one ICCID")
	}
	if len(iccids) > max {
		return nil, fleet.Invalid(field, "at most %d ICCIDs per request", max)
	}
	out := make([]string, len(iccids))
	for i, c := range iccids {
		canon, err := CanonicalICCID(field, c)
		if err != nil {
			fe := err.(*fleet.Error)
			fe.Field = field + "[" + itoa(i) + "]"
			return nil, fe
		}
		out[i] = canon
	}
	return out, nil
}

// ValidateIMEI checks an IMEI (15 digits with a Luhn check digit) or IMEISV (16 digits).
func ValidateIMEI(field, imei string) error {
	switch {
	case !allDigits(imei) || (len(imei) != 15 && len(imei) != 16):
		return fleet.Invalid(field, "an IMEI has 15 digits (IMEISV: 16)")
	case len(imei) == 15 && !luhnValid(imei):
		return fleet.Invalid(field, "the IMEI's check digit does not match (Luhn)")
	}
	return nil
}

// ValidateMSISDN checks a phone number in international form: up to 15 digits (E.164),
// optionally after a '+'.
func ValidateMSISDN(field, msisdn string) error {
	d := strings.TrimPrefix(msisdn, "+")
	if len(d) < 3 || len(d) > 15 || !allDigits(d) {
		return fleet.Invalid(field, "a phone number has 3 to 15 digits (E.164), optionally after '+'")
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// luhnValid reports whether the last digit of s is the Luhn check digit of the others.
func luhnValid(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

// SMS encodings and their capacities (3GPP TS 23.038/23.040): one part carries 160 GSM-7
// septets or 70 UCS-2 characters; a part of a concatenated message loses 7 septets (6 bytes)
// to the user data header, leaving 153 or 67.
const (
	gsm7Single, gsm7Part = 160, 153
	ucs2Single, ucs2Part = 70, 67
	// MaxSMSParts bounds a concatenated message: every part is billed as one SMS.
	MaxSMSParts = 10
)

// SMSEncoding is how a payload is sent: GSM-7 (DCS 0) when every character is in the GSM
// 03.38 alphabet, else UCS-2 (DCS 8).
type SMSEncoding string

// The encodings.
const (
	GSM7 SMSEncoding = "GSM-7"
	UCS2 SMSEncoding = "UCS-2"
)

// gsm7Basic is the GSM 03.38 default alphabet; gsm7Ext holds the characters sent with an
// escape (two septets each).
const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext   = "\f^{}\\[~]|€"
)

// SMSLength tells how a payload would be sent: its encoding, its length in that encoding's
// units (septets or UTF-16 code units) and how many parts it needs.
func SMSLength(payload string) (enc SMSEncoding, units, parts int) {
	septets, gsm := 0, true
	for _, r := range payload {
		switch {
		case strings.ContainsRune(gsm7Basic, r):
			septets++
		case strings.ContainsRune(gsm7Ext, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		return GSM7, septets, partsFor(septets, gsm7Single, gsm7Part)
	}
	n := len(utf16.Encode([]rune(payload)))
	return UCS2, n, partsFor(n, ucs2Single, ucs2Part)
}

func partsFor(n, single, part int) int {
	if n <= single {
		return 1
	}
	return (n + part - 1) / part
}

// ValidateSMSPayload checks a payload fits one SMS or, when concatenation is allowed, at
// most MaxSMSParts parts, and returns its encoding and part count.
func ValidateSMSPayload(field, payload string, concatenate bool) (SMSEncoding, int, error) {
	if payload == "" {
		return "", 0, fleet.Invalid(field, "must not be empty")
	}
	if strings.IndexByte(payload, 0) >= 0 || !utf8.ValidString(payload) {
		return "", 0, fleet.Invalid(field, "contains a NUL character or invalid UTF-8")
	}
	enc, units, parts := SMSLength(payload)
	if parts > 1 && !concatenate {
		limit := gsm7Single
		if enc == UCS2 {
			limit = ucs2Single
		}
		return enc, parts, fleet.Invalid(field, "%d %s characters do not fit one SMS (at most %d); send it as %d concatenated parts with \"concatenate\": true", units, enc, limit, parts)
	}
	if parts > MaxSMSParts {
		return enc, parts, fleet.Invalid(field, "needs %d SMS parts; at most %d are allowed", parts, MaxSMSParts)
	}
	return enc, parts, nil
}
