package routing

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"
)

func makeZip(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, name := range names {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("invented content of " + name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckZip(t *testing.T) {
	const invalid = "the file is not a valid zip archive (its central directory cannot be read): zip your files again and send the .ZIP"
	good := makeZip(t, "notes.txt", "data/list.csv")
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"valid", good, ""},
		{"insecure path inside", makeZip(t, "../outside.txt"), ""},
		{"empty file", nil, "the file is empty: a generic file must be a zip archive"},
		{"empty archive", makeZip(t), "the zip archive is empty: put the files you mean to send in it"},
		{"not a zip", []byte("8231234,Quillfeather\n"), invalid},
		{"truncated", good[:len(good)-30], invalid},
		{"central directory cut off", good[:len(good)/2], invalid},
		{"xml renamed to zip", []byte(`<?xml version="1.0"?><CTfile/>`), invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckZip(bytes.NewReader(tt.data), int64(len(tt.data)))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckZip: %v", err)
				}
				return
			}
			var ze *ZipError
			if !errors.As(err, &ze) || err.Error() != tt.want {
				t.Fatalf("CheckZip = %v, want %s", err, tt.want)
			}
		})
	}
}
