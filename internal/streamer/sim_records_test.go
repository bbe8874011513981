package streamer_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/oncefleet/oncefleet/internal/streamer"
	"github.com/oncefleet/oncefleet/oncesim"
)

// simActivities returns one SIM's data usage, SMS, PDP context and location activities, with
// record ids from base.
func simActivities(base int64, iccid string, at time.Time) []oncesim.Activity {
	sim := oncesim.Activity{SIMID: base, ICCID: iccid, IMSI: "9014051" + iccid[len(iccid)-8:], MSISDN: "8822851" + iccid[len(iccid)-8:],
		IMEI: "356938035643809", IPAddress: "10.200.0.9", Operator: "Telekom", Country: "Germany", MCC: "262", MNC: "01"}
	data := sim
	data.Kind, data.ID, data.Start, data.At, data.Traffic, data.RxBytes, data.TxBytes, data.Cost = oncesim.ActivityUsage, base+1, at.Add(-15*time.Minute), at, "Data", 300_000, 2_048, 0.0012
	sms := sim
	sms.Kind, sms.ID, sms.Start, sms.At, sms.Traffic, sms.SMSCount, sms.Cost = oncesim.ActivityUsage, base+2, at, at, "SMS", 1, 0.01
	pdp := sim
	pdp.Kind, pdp.ID, pdp.At, pdp.EventType, pdp.EventSource, pdp.Severity = oncesim.ActivityEvent, base+3, at.Add(time.Minute), "Create PDP Context", "Network", "INFO"
	loc := sim
	loc.Kind, loc.ID, loc.At, loc.EventType, loc.EventSource, loc.Severity = oncesim.ActivityEvent, base+4, at.Add(-time.Minute), "Update location", "Network", "INFO"
	return []oncesim.Activity{data, sms, pdp, loc}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSimulatorRecordsOfBothGenerations feeds the simulator's own v1 records and Platform 2.0
// events through the receiver and checks both land in the same tables with the same meaning.
func TestSimulatorRecordsOfBothGenerations(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			s, db := openBackend(t, b)
			srv, _ := newServer(t, s, cred)
			at := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
			const v1ICCID, v2ICCID = "8988280666000000101", "8988280666000000202"

			// v1: one "both" stream on the combined endpoint.
			var v1 []any
			for _, a := range simActivities(1000, v1ICCID, at) {
				if a.Kind == oncesim.ActivityUsage {
					v1 = append(v1, oncesim.NewUsageRecord(a))
				} else {
					v1 = append(v1, oncesim.NewEventRecord(a))
				}
			}
			if r := post(t, srv.URL+streamer.Prefix, cred.Username, cred.Password, mustJSON(t, v1)); r.status != 200 {
				t.Fatalf("v1: %d %s", r.status, r.body)
			}
			// Platform 2.0: separate usage and event streams.
			var v2u, v2e []any
			for _, a := range simActivities(2000, v2ICCID, at) {
				if a.Kind == oncesim.ActivityUsage {
					v2u = append(v2u, oncesim.NewUsageRecordV2(a))
				} else {
					v2e = append(v2e, oncesim.NewEventRecordV2(a))
				}
			}
			if r := post(t, srv.URL+streamer.Prefix+"/usage", cred.Username, cred.Password, mustJSON(t, v2u)); r.status != 200 {
				t.Fatalf("v2 usage: %d %s", r.status, r.body)
			}
			if r := post(t, srv.URL+streamer.Prefix+"/events", cred.Username, cred.Password, mustJSON(t, v2e)); r.status != 200 {
				t.Fatalf("v2 events: %d %s", r.status, r.body)
			}
			if n := applyAll(t, streamer.NewApplier(streamer.ApplierConfig{Store: s})); n != 8 {
				t.Fatalf("applied %d, want 8", n)
			}

			for _, c := range []struct {
				iccid             string
				rx, tx, total, mo int64
			}{
				// v1 sends MB with six places (exact bytes); 2.0 rounds each up to KiB.
				{v1ICCID, 300_000, 2_048, 302_048, 1},
				{v2ICCID, 293 * 1024, 2 * 1024, 295 * 1024, 1},
			} {
				var rx, tx, total, mo, mt int64
				if err := db.QueryRow(`SELECT volume_rx, volume_tx, volume_total, sms_mo, sms_mt FROM sim_usage WHERE iccid = '`+c.iccid+`'`).Scan(&rx, &tx, &total, &mo, &mt); err != nil {
					t.Fatalf("%s: %v", c.iccid, err)
				}
				if rx != c.rx || tx != c.tx || total != c.total || mo+mt != c.mo {
					t.Errorf("%s usage = rx %d tx %d total %d sms %d/%d; want %d %d %d, %d SMS", c.iccid, rx, tx, total, mo, mt, c.rx, c.tx, c.total, c.mo)
				}
				var events, conns int64
				events = count(t, db, `SELECT count(*) FROM sim_events WHERE iccid = '`+c.iccid+`'`)
				conns = count(t, db, `SELECT count(*) FROM sim_connectivity WHERE iccid = '`+c.iccid+`' AND connected`)
				if events != 2 || conns != 2 {
					t.Errorf("%s: %d events, %d connected snapshots; want 2 and 2", c.iccid, events, conns)
				}
				var online bool
				var imei string
				if err := db.QueryRow(`SELECT online, imei FROM sims WHERE iccid = '`+c.iccid+`'`).Scan(&online, &imei); err != nil {
					t.Fatal(err)
				}
				if !online || imei != "356938035643809" {
					t.Errorf("%s: online %v imei %q", c.iccid, online, imei)
				}
			}
		})
	}
}
