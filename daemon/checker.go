package daemon

import (
	"fmt"
	"strings"

	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/sftpd"
)

// nameChecker is the OPEN pre-check until routing validates names: it
// refuses names no mailbox file could have and caps the size.
type nameChecker struct {
	cfg config.Config
}

var _ sftpd.UploadChecker = nameChecker{}

func (c nameChecker) CheckUpload(who sftpd.Identity, name string) (int64, error) {
	if name == "" || len(name) > 128 {
		return 0, fmt.Errorf("file name must be 1 to 128 characters")
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return 0, fmt.Errorf("file name %q holds control characters", name)
	}
	limit := c.cfg.SFTP.MaxCTFSize
	if strings.HasSuffix(strings.ToLower(name), ".zip") {
		limit = c.cfg.SFTP.MaxGenericSchool
		if who.Role != "school" {
			limit = c.cfg.SFTP.MaxGenericLA
		}
	}
	return limit, nil
}
