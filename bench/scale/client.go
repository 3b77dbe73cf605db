package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

type client struct {
	base, key string
	http      *http.Client
}

func newClient(base, key string, conns int) *client {
	return &client{base: base, key: key, http: &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			DisableCompression: true},
	}}
}

type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return &httpError{resp.StatusCode, strings.TrimSpace(string(b))}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
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
	if err := c.do(ctx, http.MethodPost, "/public/api/V1/contacts", body, &res); err != nil {
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
	err := c.do(ctx, http.MethodPost, "/api/v1/contacts", body, &res)
	return res, err
}
