package config

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// The example config, s2sd.example.toml in the repository root, is
// generated from the doc comments of the config structs and from
// Default(): `go generate ./config` (or `go test ./config -run
// TestExampleConfigInSync -update`) rewrites it, and
// TestExampleConfigInSync fails when the file on disk differs, so the
// two cannot drift.

var update = flag.Bool("update", false, "rewrite ../s2sd.example.toml from the config structs")

const (
	examplePath = "../s2sd.example.toml"
	modulePath  = "github.com/s2sd/s2sd"
)

func TestExampleConfigInSync(t *testing.T) {
	want, err := renderExample()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(examplePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatalf("%v: run `go generate ./config` to create it", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := line(gl, i), line(wl, i)
			if g != w {
				t.Fatalf("s2sd.example.toml is out of date with the config structs: run `go generate ./config`\nline %d on disk:   %q\nline %d generated: %q", i+1, g, i+1, w)
			}
		}
	}
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "<end of file>"
}

// TestExampleConfigDecodesToDefault decodes the example strictly into a
// zero Config: it must set every key, to its default.
func TestExampleConfigDecodesToDefault(t *testing.T) {
	f, err := os.Open(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c Config
	if err := c.Decode(f); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		for _, s := range c.Settings() {
			d := Default()
			for _, ds := range d.Settings() {
				if ds.Key == s.Key && !reflect.DeepEqual(ds.Value.Interface(), s.Value.Interface()) {
					t.Errorf("%s: example %v, default %v", s.Key, s.Value.Interface(), ds.Value.Interface())
				}
			}
		}
		t.Fatal("the example config does not decode to Default()")
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestEverySettingDocumented keeps the example fully commented.
func TestEverySettingDocumented(t *testing.T) {
	d, err := loadDocs()
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	for _, s := range c.Settings() {
		if d.field(s.Owner, s.Field.Name) == "" {
			t.Errorf("%s (%s.%s) has no doc comment", s.Key, s.Owner, s.Field.Name)
		}
	}
}

// docs holds doc comments by "pkgpath.Type" and "pkgpath.Type.Field".
type docs map[string]string

func (d docs) field(owner reflect.Type, name string) string {
	return d[owner.PkgPath()+"."+owner.Name()+"."+name]
}

func (d docs) typ(t reflect.Type) string { return d[t.PkgPath()+"."+t.Name()] }

// loadDocs parses the packages whose types make up Config.
func loadDocs() (docs, error) {
	d := docs{}
	seen := map[string]bool{}
	var walk func(t reflect.Type) error
	walk = func(t reflect.Type) error {
		pkg := t.PkgPath()
		if !seen[pkg] {
			seen[pkg] = true
			dir := filepath.Join("..", strings.TrimPrefix(strings.TrimPrefix(pkg, modulePath), "/"))
			if err := d.parse(dir, pkg); err != nil {
				return err
			}
		}
		for i := range t.NumField() {
			if ft := t.Field(i).Type; ft.Kind() == reflect.Struct {
				if err := walk(ft); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return d, walk(reflect.TypeFor[Config]())
}

func (d docs) parse(dir, pkg string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				d[pkg+"."+ts.Name.Name] = doc.Text()
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fl := range st.Fields.List {
					for _, n := range fl.Names {
						d[pkg+"."+ts.Name.Name+"."+n.Name] = fl.Doc.Text()
					}
				}
			}
		}
	}
	return nil
}

const exampleHeader = `# s2sd.example.toml: every setting of s2sd, at its default.
#
# GENERATED from the doc comments and defaults of the config structs by
# "go generate ./config"; do not edit. Copy it to /etc/s2sd/s2sd.toml and
# change what you need; a key left out takes the default shown here, and
# an unknown key is an error that names it. Check a file with
# "s2sd check-config --config FILE".
#
# Durations are written like "90s", "10m" or "1h30m"; sizes are in bytes.
# Every key can also be set in the environment, which overrides the file:
# S2SD_<SECTION>_<KEY>, e.g. S2SD_SFTP_RECENT_WINDOW=5m, with lists
# comma-separated. SIGHUP (systemctl reload s2sd) re-reads the file; the
# log says what it applied and what needs a restart.
`

// renderExample renders the example config from Default() and the docs.
func renderExample() ([]byte, error) {
	d, err := loadDocs()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(exampleHeader)
	c := Default()
	if err := renderTable(&b, d, reflect.ValueOf(c), ""); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// renderTable writes v's scalar keys, then its sub-tables: TOML needs a
// table's own keys before its sub-tables.
func renderTable(b *bytes.Buffer, d docs, v reflect.Value, prefix string) error {
	t := v.Type()
	keyOf := func(i int) string {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if prefix == "" {
			return name
		}
		return prefix + "." + name
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Struct {
			continue
		}
		key := keyOf(i)
		val, err := tomlValue(v.Field(i), key)
		if err != nil {
			return err
		}
		b.WriteString("\n")
		writeComment(b, docText(d.field(t, f.Name), t))
		fmt.Fprintf(b, "# Environment: %s\n", EnvName(key))
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		writeKey(b, name, val)
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() != reflect.Struct {
			continue
		}
		doc := d.field(t, f.Name)
		if doc == "" {
			doc = d.typ(f.Type)
		}
		b.WriteString("\n")
		writeComment(b, docText(doc, t))
		fmt.Fprintf(b, "[%s]\n", keyOf(i))
		if err := renderTable(b, d, v.Field(i), keyOf(i)); err != nil {
			return err
		}
	}
	return nil
}

func writeComment(b *bytes.Buffer, text string) {
	for l := range strings.SplitSeq(strings.TrimSpace(text), "\n") {
		if l == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# " + l + "\n")
	}
}

// writeKey writes key = value, breaking a long list over several lines.
func writeKey(b *bytes.Buffer, key string, v tomlVal) {
	if !v.isList {
		fmt.Fprintf(b, "%s = %s\n", key, v.scalar)
		return
	}
	oneLine := key + " = [" + strings.Join(v.list, ", ") + "]"
	if len(oneLine) <= 78 {
		b.WriteString(oneLine + "\n")
		return
	}
	b.WriteString(key + " = [\n")
	cur := " "
	for _, it := range v.list {
		if len(cur)+len(it)+2 > 78 {
			b.WriteString(cur + "\n")
			cur = " "
		}
		cur += " " + it + ","
	}
	b.WriteString(cur + "\n]\n")
}

var identRE = regexp.MustCompile(`[A-Za-z][A-Za-z0-9]*`)

// docText turns a Go doc comment into the example's words: the Go names
// of owner's fields become their TOML keys where they begin the comment
// or are clearly identifiers (CamelCase).
func docText(doc string, owner reflect.Type) string {
	keys := map[string]string{}
	for i := range owner.NumField() {
		f := owner.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		keys[f.Name] = name
	}
	doc = strings.TrimSpace(doc)
	first := true
	return identRE.ReplaceAllStringFunc(doc, func(w string) string {
		defer func() { first = false }()
		if k, ok := keys[w]; ok && (first || camel(w)) {
			return k
		}
		return w
	})
}

// camel reports whether w mixes upper and lower case with two or more
// capitals, as in MaxAge or LANumbers but not Data or SMTP.
func camel(w string) bool {
	upper, lower := 0, 0
	for _, r := range w {
		switch {
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lower++
		}
	}
	return upper >= 2 && lower > 0
}

// tomlVal is a rendered TOML value: a scalar, or a list's items.
type tomlVal struct {
	scalar string
	list   []string
	isList bool
}

// tomlValue renders the value of a setting.
func tomlValue(v reflect.Value, key string) (tomlVal, error) {
	switch {
	case v.Type() == durationType:
		return tomlVal{scalar: strconv.Quote(formatDuration(time.Duration(v.Int())))}, nil
	case v.Kind() == reflect.String:
		q, err := quote(v.String(), key)
		return tomlVal{scalar: q}, err
	case v.Kind() == reflect.Bool:
		return tomlVal{scalar: strconv.FormatBool(v.Bool())}, nil
	case v.CanInt():
		return tomlVal{scalar: strconv.FormatInt(v.Int(), 10)}, nil
	case v.CanUint():
		return tomlVal{scalar: strconv.FormatUint(v.Uint(), 10)}, nil
	case v.CanFloat():
		s := strconv.FormatFloat(v.Float(), 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return tomlVal{scalar: s}, nil
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		out := tomlVal{isList: true, list: []string{}}
		for i := range v.Len() {
			q, err := quote(v.Index(i).String(), key)
			if err != nil {
				return out, err
			}
			out.list = append(out.list, q)
		}
		return out, nil
	}
	return tomlVal{}, fmt.Errorf("%s: cannot render a %s", key, v.Type())
}

// quote writes a TOML basic string; defaults are plain ASCII, where Go's
// quoting and TOML's agree.
func quote(s, key string) (string, error) {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return "", fmt.Errorf("%s: default %q is not plain ASCII", key, s)
		}
	}
	return strconv.Quote(s), nil
}

// formatDuration writes d as Go parses it, without zero units: 10m, 1h,
// 720h, 1h30m.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
