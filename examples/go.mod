module github.com/oncefleet/oncefleet/examples

go 1.23.0

// The examples build against the modules beside them here; the test in this directory also
// fetches them the way a user does (go get through a module proxy) into a module of its own.
require (
	github.com/oncefleet/oncefleet/once v0.1.0
	github.com/oncefleet/oncefleet/oncesim v0.1.0
)

require (
	github.com/cenkalti/backoff/v5 v5.0.3 // indirect
	github.com/sony/gobreaker/v2 v2.4.0 // indirect
	golang.org/x/time v0.12.0 // indirect
)

replace (
	github.com/oncefleet/oncefleet/once => ../once
	github.com/oncefleet/oncefleet/oncesim => ../oncesim
)
