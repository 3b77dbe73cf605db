// Package dedupe is the duplicate engine.
package dedupe
