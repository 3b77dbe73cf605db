// Package handlers is contacthub's HTTP layer on Echo v4: the Quentn-compatible API under
// /public/api/V1/, the native API under /api/v1/ and the operations endpoints. Handlers
// decode wire types, call the contact service (package contacts) for contact writes and
// the small store interfaces declared here for the rest (main wires both), render the
// answer, and return errors; HTTPErrorHandler maps every error to a status and the one
// JSON error shape in a single place.
package handlers
