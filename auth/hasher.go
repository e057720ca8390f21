package auth

import (
	"context"
)

// Hasher hashes and verifies passwords, running at most a fixed number of
// argon2id computations at once so that a login storm cannot exhaust
// memory: each computation holds Params.Memory KiB.
type Hasher struct {
	params Params
	slots  chan struct{}
}

// NewHasher returns a Hasher allowing max concurrent computations.
func NewHasher(p Params, max int) *Hasher {
	return &Hasher{params: p, slots: make(chan struct{}, max)}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return hashWith(password, h.params)
}

// Verify reports whether password matches the stored hash. An empty hash
// (a keys-only user) never matches; a dummy computation keeps the timing
// the same as for a real user.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if encoded == "" {
		_, _ = hashWith(password, h.params)
		return false, nil
	}
	return verify(password, encoded)
}
