package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/contacthub/contacthub/bench/benchkit"
)

type client struct{ benchkit.Client }

func newClient(base, key string, conns int) *client {
	return &client{benchkit.Client{Base: base, Key: key, HTTP: &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			DisableCompression: true},
	}}}
}

// createBatch posts people through the Quentn bulk create with check none and
// returns their ids in order.
func (c *client) createBatch(ctx context.Context, people []person) ([]int64, error) {
	items := make([]map[string]string, len(people))
	for i, p := range people {
		items[i] = p.fields()
	}
	var res []struct {
		ID      int64  `json:"id"`
		Error   bool   `json:"error"`
		Message string `json:"message"`
		Errors  any    `json:"errors"`
	}
	body := map[string]any{"contacts": items, "duplicate_check_method": "none"}
	if err := c.Do(ctx, http.MethodPost, "/public/api/V1/contacts", body, &res); err != nil {
		return nil, fmt.Errorf("bulk create: %w", err)
	}
	if len(res) != len(people) {
		return nil, fmt.Errorf("bulk create: %d results for %d contacts", len(res), len(people))
	}
	ids := make([]int64, len(res))
	for i, r := range res {
		if r.Error || r.ID == 0 {
			return nil, fmt.Errorf("bulk create: item %d %+v refused: %s %v", i, people[i], r.Message, r.Errors)
		}
		ids[i] = r.ID
	}
	return ids, nil
}

type createResponse struct {
	ID          int64  `json:"id"`
	Created     bool   `json:"created"`
	MergeID     string `json:"merge_id"`
	Explanation *struct {
		Score     float64 `json:"score"`
		Threshold float64 `json:"threshold"`
		Fields    []struct {
			Field      string  `json:"field"`
			Comparison string  `json:"comparison"`
			Weight     float64 `json:"weight"`
		} `json:"fields"`
	} `json:"explanation"`
}

// create posts one record to the native create with auto and update_add.
func (c *client) create(ctx context.Context, p person) (createResponse, error) {
	var res createResponse
	body := map[string]any{"contact": p.fields(), "duplicate_check_method": "auto", "duplicate_merge_method": "update_add"}
	err := c.Do(ctx, http.MethodPost, "/api/v1/contacts", body, &res)
	return res, err
}
