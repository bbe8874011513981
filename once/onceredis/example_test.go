package onceredis_test

import (
	"log"
	"os"

	"github.com/oncefleet/oncefleet/once"
	"github.com/oncefleet/oncefleet/once/onceredis"
	"github.com/redis/go-redis/v9"
)

// Share one OAuth token and one request budget between every process that talks to the same
// 1NCE account: each fetches a token only when none is shared, and together they stay within
// the account's rate. Use one key prefix per account.
func Example() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()

	c, err := once.New(os.Getenv("ONCE_CLIENT_ID"), os.Getenv("ONCE_CLIENT_SECRET"),
		once.WithTokenStore(onceredis.NewTokenStore(rdb, "myapp:once:")),
		once.WithBudget(onceredis.NewBudgetStore(rdb, "myapp:once:")),
	)
	if err != nil {
		log.Fatal(err)
	}
	_ = c // use c as usual
}
