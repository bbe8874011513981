package contract

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/oncefleet/oncefleet/internal/spectest"
	"github.com/oncefleet/oncefleet/oncesim"
)

// TestContractSimulatorErrors holds the simulator's error answers to the spec: the OAuth
// endpoint's 400s, and the 403 an account without v1 answers on every v1 SIM path. (The
// simulator's own tests check their content; this checks their shape.)
func TestContractSimulatorErrors(t *testing.T) {
	c := spectest.Load(t)
	validate := func(t *testing.T, method, path string, res result) {
		t.Helper()
		req, _ := http.NewRequest(method, path, nil)
		if err := c.ValidateResponse(context.Background(), req, "", res.status, res.header, res.body); err != nil {
			t.Error(err)
		}
	}

	t.Run("oauth", func(t *testing.T) {
		h := newHarness(t, oncesim.Options{}, nil, "")
		basic := func(user, pass string) func(*http.Request) {
			return func(r *http.Request) {
				r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
			}
		}
		grant := map[string]string{"grant_type": "client_credentials"}
		for name, tc := range map[string]struct {
			body any
			edit func(*http.Request)
		}{
			"no auth header":   {grant, func(*http.Request) {}},
			"empty password":   {grant, basic(testID, "")},
			"no grant type":    {map[string]string{}, basic(testID, testSecret)},
			"other grant type": {map[string]string{"grant_type": "password"}, basic(testID, testSecret)},
			"form body": {grant, func(r *http.Request) {
				basic(testID, testSecret)(r)
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}},
			"wrong secret": {grant, basic(testID, "guess")},
		} {
			t.Run(name, func(t *testing.T) {
				res := h.do(http.MethodPost, "/oauth/token", tc.body, tc.edit).want(t, 400, name)
				validate(t, http.MethodPost, "/oauth/token", res)
			})
		}
	})

	t.Run("v2-only account", func(t *testing.T) {
		h := newHarness(t, oncesim.Options{Mode: oncesim.ModeV2Only}, nil, "")
		h.login()
		ic := h.iccid(2)
		for _, rq := range [][2]string{{"GET", "/v1/sims"}, {"GET", "/v1/sims/" + ic}, {"GET", "/v1/sims/" + ic + "/usage"},
			{"POST", "/v1/sims/" + ic + "/topup"}, {"GET", "/v1/sims/limits"}, {"POST", "/v1/sims/extension"}} {
			res := h.do(rq[0], rq[1], nil).want(t, 403, rq[0]+" "+rq[1])
			validate(t, rq[0], rq[1], res)
		}
	})
}
