package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Default TTLs of SPEC §7. Every write invalidates what it changes, so these bound only how
// stale an entry can get when a change bypasses oncefleet (someone used the 1NCE portal).
const (
	TTLSIMList   = 5 * time.Minute
	TTLSIMDetail = 2 * time.Minute
	TTLUsage     = 30 * time.Minute
	TTLProducts  = time.Hour
)

// The key hierarchy, in one place so that whoever writes invalidates exactly what readers
// cached: everything about one SIM lives under SIMPrefix(iccid), every SIM list page under
// SIMListPrefix, the product catalogue under ProductsPrefix.
const (
	SIMListPrefix  = "sims:list"
	ProductsPrefix = "products"
)

// keySegment makes s safe as one segment of a key: a ':' in it would add a level.
func keySegment(s string) string {
	if !strings.ContainsAny(s, ":%") {
		return s
	}
	return strings.NewReplacer("%", "%25", ":", "%3A").Replace(s)
}

// SIMPrefix is the node holding everything cached about one SIM; a write to the SIM
// invalidates it with DeletePrefix (and SIMListPrefix, since lists show the SIM too).
func SIMPrefix(iccid string) string { return "sim:" + keySegment(iccid) }

// SIMDetailKey caches GET /sims/{iccid}.
func SIMDetailKey(iccid string) string { return SIMPrefix(iccid) + ":detail" }

// SIMUsageKey caches one usage query of a SIM; variant identifies the query (range,
// granularity) and is hashed, so any string is fine.
func SIMUsageKey(iccid, variant string) string {
	return SIMPrefix(iccid) + ":usage:" + hashSegment(variant)
}

// SIMListKey caches one page of GET /sims; query is the normalized filter, sort and page
// (hashed: filters are arbitrary user input and could be long or contain ':').
func SIMListKey(query string) string { return SIMListPrefix + ":" + hashSegment(query) }

// ProductKey caches one product-catalogue response (list, pricing, one product).
func ProductKey(variant string) string { return ProductsPrefix + ":" + hashSegment(variant) }

func hashSegment(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}
