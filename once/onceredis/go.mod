module github.com/oncefleet/oncefleet/once/onceredis

go 1.23.0

require (
	github.com/oncefleet/oncefleet/once v0.1.0
	github.com/redis/go-redis/v9 v9.14.0
)

require (
	github.com/cenkalti/backoff/v5 v5.0.3 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dgryski/go-rendezvous v0.0.0-20200823014737-9f7001d12a5f // indirect
	github.com/sony/gobreaker/v2 v2.4.0 // indirect
	golang.org/x/time v0.12.0 // indirect
)

replace (
	github.com/oncefleet/oncefleet/once => ../
	github.com/oncefleet/oncefleet/oncesim => ../../oncesim
)
