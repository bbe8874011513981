module github.com/oncefleet/oncefleet/once

go 1.23.0

// The tests run the client against the simulator; while developing, the simulator is the one
// beside this directory.
require github.com/oncefleet/oncefleet/oncesim v0.1.0

require (
	github.com/cenkalti/backoff/v5 v5.0.3
	github.com/sony/gobreaker/v2 v2.4.0
)

require golang.org/x/time v0.12.0

replace github.com/oncefleet/oncefleet/oncesim => ../oncesim
