// Package e2e holds end-to-end tests that run the real contacthub binary: several
// server processes on one PostgreSQL and one Redis, as replicas behind a load
// balancer would. They run only when CONTACTHUB_TEST_DATABASE_URL and
// CONTACTHUB_TEST_REDIS_URL are set (as in CI).
package e2e
