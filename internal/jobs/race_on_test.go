//go:build race

package jobs_test

// loadScale shrinks the SQLite load test under the race detector, which slows every write
// several times over and with it how long each writer holds SQLite's one write lock.
const loadScale = 4
