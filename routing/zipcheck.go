package routing

import (
	"archive/zip"
	"errors"
	"io"
)

// ZipError says why a generic file is not a valid zip archive. Its text is
// meant for the sender.
type ZipError struct {
	Reason string
	Err    error // the underlying error, if any
}

func (e *ZipError) Error() string { return e.Reason }
func (e *ZipError) Unwrap() error { return e.Err }

// CheckZip checks that the size bytes of r are a zip archive, by reading
// its central directory. It unpacks nothing: senders encrypt generic files
// themselves, and what is inside is theirs. The error is a *ZipError.
func CheckZip(r io.ReaderAt, size int64) error {
	if size == 0 {
		return &ZipError{Reason: "the file is empty: a generic file must be a zip archive"}
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		// An insecure path such as "../x" matters only to whoever unpacks
		// the archive, which s2sd never does.
		return &ZipError{Reason: "the file is not a valid zip archive (its central directory cannot be read): zip your files again and send the .ZIP", Err: err}
	}
	if len(zr.File) == 0 {
		return &ZipError{Reason: "the zip archive is empty: put the files you mean to send in it"}
	}
	return nil
}
