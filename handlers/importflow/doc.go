// Package importflow holds the HTTP tests of imports: the real router (handlers) on the
// import engine (imports) and River. They live here, not in package imports, because
// imports must never import handlers (DESIGN.md); this package has no code of its own.
package importflow
