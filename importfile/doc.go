// Package importfile reads the files people import as they have them: CSV exported from
// Excel or LibreOffice in any of the usual delimiters (, ; tab |) and encodings (UTF-8
// with or without BOM, UTF-16 with BOM, Windows-1252/ISO-8859-1), and .xlsx workbooks.
// It streams: a file of any size is read a row at a time and never held whole.
//
// It also suggests which contact field each header means (German and English synonyms)
// and parses the dates such files carry (YYYY-MM-DD and DD.MM.YYYY). It does no I/O of
// its own beyond the reader it is given and knows nothing of the store.
package importfile
