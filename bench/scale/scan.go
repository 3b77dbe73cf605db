package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// scanResult is the scan as GET /api/v1/duplicates/scans/{id} shows it.
type scanResult struct {
	Scan struct {
		ID        int64  `json:"id"`
		Status    string `json:"status"`
		Total     int64  `json:"total"`
		Processed int64  `json:"processed"`
		Queued    int64  `json:"queued"`
		Merged    int64  `json:"merged"`
		Skipped   int64  `json:"skipped"`
		Error     string `json:"error"`
	} `json:"scan"`
}

// scan starts a tenant-wide duplicate scan (-scan review|merge) and follows it to its
// end, printing its progress every 10 s and a table of what it took.
func scan(ctx context.Context, o *options, api *client, out io.Writer) error {
	var s scanResult
	start := time.Now()
	if err := api.Do(ctx, http.MethodPost, "/api/v1/duplicates/scan", map[string]any{"action": o.scan}, &s); err != nil {
		return fmt.Errorf("start scan: %w", err)
	}
	path := fmt.Sprintf("/api/v1/duplicates/scans/%d", s.Scan.ID)
	last := time.Now()
	for s.Scan.Status == "running" {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		if err := api.Do(ctx, http.MethodGet, path, nil, &s); err != nil {
			return fmt.Errorf("follow scan: %w", err)
		}
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			fmt.Fprintf(out, "  %s: %d of %d contacts scanned\n", time.Since(start).Round(time.Second), s.Scan.Processed, s.Scan.Total)
		}
	}
	took := time.Since(start)
	if s.Scan.Status != "completed" {
		return fmt.Errorf("scan %d ended %s: %s", s.Scan.ID, s.Scan.Status, s.Scan.Error)
	}
	fmt.Fprintf(out, "\n| scan | contacts | time | contacts/s | queued | merged | skipped |\n|---|--:|--:|--:|--:|--:|--:|\n")
	fmt.Fprintf(out, "| %s | %d | %s | %.0f | %d | %d | %d |\n", o.scan, s.Scan.Processed, took.Round(time.Second),
		float64(s.Scan.Processed)/took.Seconds(), s.Scan.Queued, s.Scan.Merged, s.Scan.Skipped)
	return nil
}
