package daemon

import (
	"reflect"
	"strings"

	"github.com/s2sd/s2sd/config"
)

// Reload is called on SIGHUP with the configuration read again. Nothing
// can change yet without a restart, so it logs what changed and that a
// restart is needed to apply it, and keeps running on the old settings.
func (d *Daemon) Reload(next config.Config, err error) {
	if err != nil {
		d.log.Error().Err(err).Msg("SIGHUP: configuration not reloaded; still running on the previous settings")
		return
	}
	changed := changedKeys(d.cfg, next)
	if len(changed) == 0 {
		d.log.Info().Msg("SIGHUP: configuration re-read; nothing changed")
		return
	}
	d.log.Warn().Strs("changed", changed).
		Msg("SIGHUP: configuration re-read; these settings need a restart and were not applied: " + strings.Join(changed, ", "))
}

// changedKeys names the TOML keys whose values differ between a and b.
func changedKeys(a, b config.Config) []string {
	var out []string
	var walk func(prefix string, va, vb reflect.Value)
	walk = func(prefix string, va, vb reflect.Value) {
		t := va.Type()
		for i := 0; i < t.NumField(); i++ {
			key := strings.Split(t.Field(i).Tag.Get("toml"), ",")[0]
			if prefix != "" {
				key = prefix + "." + key
			}
			fa, fb := va.Field(i), vb.Field(i)
			if fa.Kind() == reflect.Struct {
				walk(key, fa, fb)
				continue
			}
			if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
				out = append(out, key)
			}
		}
	}
	walk("", reflect.ValueOf(a), reflect.ValueOf(b))
	return out
}
