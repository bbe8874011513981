package storetest

import (
	"fmt"
	"time"

	"github.com/oncefleet/oncefleet/internal/fleet"
)

// BenchSIMs returns n distinct, fully populated SIMs for the stores' batch benchmarks; both
// stores measure the same rows so their numbers in docs/BENCHMARKS.md compare.
func BenchSIMs(n int) []fleet.SIM {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	sims := make([]fleet.SIM, n)
	for i := range sims {
		sims[i] = fleet.SIM{
			ICCID: fmt.Sprintf("89882806660%08d", i), ICCIDWithLuhn: fmt.Sprintf("89882806660%08d0", i),
			IMSI: fmt.Sprintf("90140510%07d", i), CurrentIMSI: fmt.Sprintf("90140510%07d", i),
			MSISDN: fmt.Sprintf("8822851%08d", i), Status: "Enabled", Label: fmt.Sprintf("pump-%d", i),
			IPAddress: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), IMEI: fmt.Sprintf("35693803%07d", i),
			ActivationDate: t0.Add(time.Duration(i) * time.Second), OrganizationID: fmt.Sprintf("org-%d", i%20),
			DataQuotaStatus: "ACTIVE", SMSQuotaStatus: "ACTIVE",
		}
	}
	return sims
}

// BenchUsage returns n streamer usage rows, ten consecutive days for each of n/10 SIMs (the
// ICCIDs BenchSIMs uses), for the stores' usage batch benchmarks.
func BenchUsage(n int) []fleet.Usage {
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]fleet.Usage, n)
	for i := range rows {
		rows[i] = fleet.Usage{ICCID: fmt.Sprintf("89882806660%08d", i/10), Day: day0.AddDate(0, 0, i%10),
			VolumeRx: int64(i * 1000), VolumeTx: int64(i * 100), VolumeTotal: int64(i * 1100),
			SMSMO: int64(i % 3), SMSMT: int64(i % 2), Cost: float64(i) / 1e6, Source: fleet.UsageFromStreamer}
	}
	return rows
}
