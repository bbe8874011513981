//go:build !race

package jobs_test

// loadScale shrinks the SQLite load test under the race detector (see race_on_test.go).
const loadScale = 1
