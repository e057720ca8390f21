package auth

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// ValidateLogin checks a login name: 3–64 characters of letters, digits,
// '.', '-', '_' and '@', starting with a letter or digit.
func ValidateLogin(login string) error {
	if len(login) < 3 || len(login) > 64 {
		return fmt.Errorf("login %q must be 3 to 64 characters", login)
	}
	for i, r := range login {
		ok := r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || (i > 0 && strings.ContainsRune(".-_@", r)))
		if !ok {
			return fmt.Errorf("login %q may hold only letters, digits, '.', '-', '_' and '@', and must start with a letter or digit", login)
		}
	}
	return nil
}

// ValidateEmail checks a work email address: a plain addr-spec whose domain
// is not one of the personal domains.
func ValidateEmail(email string, personalDomains []string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return fmt.Errorf("email %q is not a valid address: give a plain address such as office@school.sch.uk", email)
	}
	domain := strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
	if !strings.Contains(domain, ".") {
		return fmt.Errorf("email %q has no full domain name", email)
	}
	for _, d := range personalDomains {
		if domain == strings.ToLower(d) {
			return fmt.Errorf("email %q is on a personal domain (%s): use a school or LA address", email, domain)
		}
	}
	return nil
}

// ValidateNewPassword checks a password a user chooses.
func ValidateNewPassword(password string, minLen int) error {
	if len([]rune(password)) < minLen {
		return fmt.Errorf("the new password must be at least %d characters", minLen)
	}
	if strings.TrimSpace(password) != password {
		return fmt.Errorf("the new password must not start or end with a space")
	}
	return nil
}
