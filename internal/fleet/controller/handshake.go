package controller

import (
	"context"
	"fmt"

	"github.com/sysroll/sysroll/internal/schema"
)

// buildHost is what the handshake needs of a host: the controller's own
// build at its content-addressed path, and a way to copy it there. Every
// fleet verb (deploy, status, apply) runs that build, never whatever
// sysroll the host has on its PATH, so both sides speak one protocol.
type buildHost interface {
	Name() string
	Version(ctx context.Context) (schema.Version, bool, error)
	PushBinary(ctx context.Context) (int64, error)
}

// pushBuild copies the controller's build to a host that lacks it and
// checks that the copy runs and speaks this protocol; it returns the bytes
// sent and the build's answer (its boot ID among it).
func pushBuild(ctx context.Context, h buildHost) (schema.Version, int64, error) {
	sent, err := h.PushBinary(ctx)
	if err != nil {
		return schema.Version{}, sent, err
	}
	v, ok, err := h.Version(ctx)
	if err == nil && !ok {
		err = fmt.Errorf("%s: the sysroll build just copied does not run", h.Name())
	}
	if err != nil {
		return v, sent, err
	}
	return v, sent, checkProtocol(h.Name(), v)
}

// handshake is the whole handshake of one host: ask the build, push it
// when missing, check its protocol.
func handshake(ctx context.Context, h buildHost) (schema.Version, int64, error) {
	v, ok, err := h.Version(ctx)
	if err != nil {
		return v, 0, err
	}
	if !ok {
		return pushBuild(ctx, h)
	}
	return v, 0, checkProtocol(h.Name(), v)
}

// checkProtocol refuses a build of another fleet protocol.
func checkProtocol(host string, v schema.Version) error {
	if v.Protocol != schema.FleetProtocol {
		return fmt.Errorf("%s: sysroll there speaks fleet protocol %d, this controller %d: push this build (it is content-addressed) or upgrade", host, v.Protocol, schema.FleetProtocol)
	}
	return nil
}
