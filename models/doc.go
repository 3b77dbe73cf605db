// Package models is contacthub's domain: contacts and their fields, terms, comments,
// custom fields, tenants and API keys, with the validation rules that apply to them and
// the errors every other layer speaks. It imports no other package of the project and
// nothing of HTTP, SQL or Redis: those layers translate to and from these types.
package models
