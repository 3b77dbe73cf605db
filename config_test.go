package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestConfigLogMasksCredentials: every form of credential the PostgreSQL and Redis
// drivers accept is masked when the config is logged; the rest of the URL stays
// readable.
func TestConfigLogMasksCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		secrets   []string // none of these may be logged
		want      string   // the logged form, when it is exact
	}{
		{"postgres userinfo", "postgres://app:s3cret@db:5432/app?sslmode=require", []string{"s3cret"}, "postgres://app:***@db:5432/app?sslmode=require"},
		{"postgresql userinfo", "postgresql://app:s3cret@db/app", []string{"s3cret"}, "postgresql://app:***@db/app"},
		{"escaped password", "postgres://app:s3%40cr%2Fet@db/app", []string{"s3%40cr%2Fet", "s3@cr/et"}, "postgres://app:***@db/app"},
		{"password query parameter", "postgres://app@db/app?password=s3cret&sslmode=disable", []string{"s3cret"}, "postgres://app@db/app?password=***&sslmode=disable"},
		{"sslpassword, sslkey path kept", "postgres://db/app?sslkey=/etc/ssl/app.key&sslpassword=s3cret", []string{"s3cret"}, "postgres://db/app?sslkey=/etc/ssl/app.key&sslpassword=***"},
		{"upper-case parameter", "postgres://db/app?PASSWORD=s3cret", []string{"s3cret"}, "postgres://db/app?PASSWORD=***"},
		{"both forms", "postgres://app:one1@db/app?password=two2", []string{"one1", "two2"}, "postgres://app:***@db/app?password=***"},
		{"unescaped @ in password", "postgres://app:s3@cret@db/app", []string{"s3@cret", "cret"}, "postgres://app:***@db/app"},
		{"unescaped / and ? in password", "postgres://app:s3/c?ret@db/app", []string{"s3/c", "c?ret", "ret@"}, ""},
		{"several hosts", "postgres://app:s3cret@db1:5432,db2:5432/app?password=s3cret2", []string{"s3cret", "s3cret2"}, ""},
		{"@ in a parameter is not a password", "postgres://db:5432/app?application_name=a@b", nil, "postgres://db:5432/app?application_name=a@b"},
		{"key/value", "host=db user=app password=s3cret dbname=app", []string{"s3cret"}, "host=db user=app password=*** dbname=app"},
		{"key/value quoted", `host=db password='s3 cr\'et' dbname=app`, []string{"s3 cr", `\'et`}, "host=db password=*** dbname=app"},
		{"key/value spaced, sslpassword", "host=db password = s3cret sslpassword=k3y sslkey=/k.pem", []string{"s3cret", "k3y"}, "host=db password=*** sslpassword=*** sslkey=/k.pem"},
		{"redis password only", "redis://:s3cret@redis:6379/0", []string{"s3cret"}, "redis://:***@redis:6379/0"},
		{"redis user and password", "rediss://app:s3cret@redis:6380/1", []string{"s3cret"}, "rediss://app:***@redis:6380/1"},
		{"redis password parameter", "redis://redis:6379/0?password=s3cret&dial_timeout=3", []string{"s3cret"}, "redis://redis:6379/0?password=***&dial_timeout=3"},
		{"no credentials", "redis://redis:6379/0", nil, "redis://redis:6379/0"},
		{"sqlite path", "./data/contacthub.db", nil, "./data/contacthub.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := maskCredentials(tt.url)
			for _, s := range tt.secrets {
				if strings.Contains(got, s) {
					t.Errorf("maskCredentials(%q) = %q shows %q", tt.url, got, s)
				}
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("maskCredentials(%q) = %q, want %q", tt.url, got, tt.want)
			}

			// And through the logger, as serve logs the config.
			for _, cfg := range []Config{{DatabaseURL: tt.url}, {RedisURL: tt.url}} {
				var buf bytes.Buffer
				slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", cfg)
				for _, s := range tt.secrets {
					if strings.Contains(buf.String(), s) {
						t.Errorf("logged config shows %q: %s", s, buf.String())
					}
				}
			}
		})
	}
}

// CONTACTHUB_REDIS_TIMEOUT: the default of 500 ms, and values outside 10 ms–10 s refused
// at start with the variable named.
func TestConfigRedisTimeout(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "CONTACTHUB_REDIS_TIMEOUT" {
				return v
			}
			return ""
		}
	}
	cfg, err := configFromEnv(env(""))
	if err != nil || cfg.RedisTimeout != 500*time.Millisecond || cfg.Validate() != nil {
		t.Fatalf("default: %v, %v, %v", cfg.RedisTimeout, err, cfg.Validate())
	}
	for _, bad := range []string{"5ms", "11s"} {
		cfg, err := configFromEnv(env(bad))
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), "CONTACTHUB_REDIS_TIMEOUT") {
			t.Errorf("%s: %v, want an error naming CONTACTHUB_REDIS_TIMEOUT", bad, err)
		}
	}
}
