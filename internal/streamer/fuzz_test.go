package streamer

import (
	"bytes"
	"testing"

	"github.com/oncefleet/oncefleet/internal/streamer/record"
)

// FuzzParseBatch checks the parser never panics, and that every batch it accepts is one the
// applier can parse in full: a record acknowledged but unparsable later would be data lost.
func FuzzParseBatch(f *testing.F) {
	for _, name := range []string{"v1_usage.json", "v1_event.json", "p2_usage.json", "p2_event.json"} {
		f.Add(readFixture(f, name), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		def := []record.Stream{"", record.StreamUsage, record.StreamEvent}[int(which)%3]
		recs, err := ParseBatch(bytes.NewReader(body), def)
		if err != nil {
			if recs != nil {
				t.Fatal("records returned with an error")
			}
			return
		}
		if len(recs) == 0 || len(recs) > MaxRecords {
			t.Fatalf("accepted %d records", len(recs))
		}
		for i, r := range recs {
			if r.ID == "" || (r.Stream != record.StreamUsage && r.Stream != record.StreamEvent) || r.At.IsZero() || len(r.Raw) == 0 {
				t.Fatalf("record %d accepted incomplete: %+v", i, r)
			}
			full, err := ParseRecord(r.Raw, r.Stream)
			if err != nil {
				t.Fatalf("record %d accepted on receipt but not by the applier: %v", i, err)
			}
			if full.ID != r.ID || full.Stream != r.Stream || !full.At.Equal(r.At) || full.TotalBytes != r.TotalBytes || full.CostE10 != r.CostE10 || full.SMSMO != r.SMSMO || full.SMSMT != r.SMSMT {
				t.Fatalf("record %d: light parse %+v, full parse %+v", i, r, full)
			}
			if r.RxBytes < 0 || r.TxBytes < 0 || r.TotalBytes < 0 || r.CostE10 < 0 || r.SMSMO < 0 || r.SMSMT < 0 {
				t.Fatalf("record %d: negative amounts %+v", i, r)
			}
		}
	})
}
