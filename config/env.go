package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix begins every environment variable that overrides a setting:
// S2SD_<SECTION>_<KEY>, e.g. S2SD_SFTP_RECENT_WINDOW for
// [sftp] recent_window, or S2SD_DATA for the top-level data.
const EnvPrefix = "S2SD_"

// cliEnv are S2SD_ variables the command line reads that are not settings.
var cliEnv = []string{"S2SD_CONFIG"}

// testEnvPrefix begins variables reserved for test harnesses.
const testEnvPrefix = "S2SD_TEST_"

// Setting is one scalar key of the configuration.
type Setting struct {
	// Key is the dotted TOML key, e.g. "mail.smtp.host".
	Key string
	// Field is the struct field holding it.
	Field reflect.StructField
	// Owner is the struct type Field belongs to.
	Owner reflect.Type
	// Value is the field's value in the walked Config; settable when the
	// walk started from a pointer.
	Value reflect.Value
}

// EnvName is the variable that overrides key: S2SD_ and the key in upper
// case with dots as underscores.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Settings lists every scalar key of c (strings, numbers, booleans,
// durations and string lists), depth-first in field order.
func (c *Config) Settings() []Setting {
	return settings(reflect.ValueOf(c).Elem(), "")
}

func settings(v reflect.Value, prefix string) []Setting {
	var out []Setting
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		if f.Type.Kind() == reflect.Struct {
			out = append(out, settings(v.Field(i), key)...)
			continue
		}
		out = append(out, Setting{Key: key, Field: f, Owner: t, Value: v.Field(i)})
	}
	return out
}

// EnvError is an environment variable whose value does not fit its
// setting. It names the variable and the key.
type EnvError struct {
	Var    string
	Key    string
	Reason string
}

func (e *EnvError) Error() string {
	return fmt.Sprintf("config: %s (%s): %s", e.Var, e.Key, e.Reason)
}

// applyEnv overrides every setting whose S2SD_ variable is set and not
// empty, and returns the names of those variables.
func (c *Config) applyEnv(getenv func(string) string) ([]string, error) {
	if getenv == nil {
		return nil, nil
	}
	var applied []string
	for _, s := range c.Settings() {
		name := EnvName(s.Key)
		v := getenv(name)
		if v == "" {
			continue
		}
		if err := setString(s.Value, v); err != nil {
			return applied, &EnvError{Var: name, Key: s.Key, Reason: err.Error()}
		}
		applied = append(applied, name)
	}
	return applied, nil
}

// UnknownEnv returns the S2SD_ variables of environ (KEY=value pairs, as
// os.Environ gives them) that name no setting, sorted: most likely typing
// mistakes, which would otherwise be ignored without a word. S2SD_CONFIG
// and the S2SD_TEST_ variables of test harnesses are not settings but are
// known.
func UnknownEnv(environ []string) []string {
	known := map[string]bool{}
	for _, n := range cliEnv {
		known[n] = true
	}
	var c Config
	for _, s := range c.Settings() {
		known[EnvName(s.Key)] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix) && !strings.HasPrefix(name, testEnvPrefix) && !known[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

// setString sets v from its text form: a duration as Go writes it (90s,
// 10m, 1h30m), a list as comma-separated items. The error never repeats a
// string value, which may be a secret; only strings are never in error.
func setString(v reflect.Value, s string) error {
	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 90s, 10m or 1h", s)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case v.CanInt():
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		v.SetInt(n)
	case v.CanUint():
		n, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a whole number of zero or more", s)
		}
		v.SetUint(n)
	case v.CanFloat():
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		list := reflect.MakeSlice(v.Type(), 0, strings.Count(s, ",")+1)
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = reflect.Append(list, reflect.ValueOf(item).Convert(v.Type().Elem()))
			}
		}
		v.Set(list)
	default:
		return fmt.Errorf("a %s cannot be set from the environment", v.Type())
	}
	return nil
}
