package host

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
)

// StageOptions says what Stage stages.
type StageOptions struct {
	Service string
	// Artifact, Version, As and Check are DeployOptions'.
	Artifact string
	Version  string
	As       string
	Check    []string
	// ExpectSHA256, if set, is the sha256 the artifact must have
	// (release.StageOptions.ExpectSHA256): the fleet controller's copy is
	// refused, and nothing kept, when it differs.
	ExpectSHA256 string
}

// Stage stages (and checks) a release of an installed service without
// rolling it out, exactly as Deploy stages one, so that a later `deploy
// --version` rolls it out. It takes no deploy lock: staging is safe during a
// rollout (release.Store serializes its commits), so a fleet can stage on
// every host while one is rolling.
func (h *Host) Stage(ctx context.Context, opts StageOptions) (release.Release, error) {
	if opts.Artifact == "" {
		return release.Release{}, inputf("stage needs an artifact (the release to stage)")
	}
	if err := validSHA256(opts.ExpectSHA256, true); err != nil {
		return release.Release{}, err
	}
	svc, dir, err := h.loadInstalled(opts.Service)
	if err != nil {
		return release.Release{}, err
	}
	store, err := release.Open(dir)
	if err != nil {
		return release.Release{}, err
	}
	rel, err := store.Stage(ctx, opts.Artifact, release.StageOptions{Version: opts.Version, Check: opts.Check,
		As: opts.As, Program: program(svc.Command), ExpectSHA256: opts.ExpectSHA256})
	return rel, stageError(err)
}

// stageError classifies a staging failure: a check that ran and failed,
// or an artifact that is not the one expected, is a failed operation (exit
// 1: the input was well formed, the artifact is bad); the rest is bad input.
func stageError(err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("release rejected, no instance touched: %w", err)
	if _, ok := errors.AsType[*release.CheckError](err); ok {
		return err
	}
	if _, ok := errors.AsType[*release.ChecksumError](err); ok {
		return err
	}
	return asInput(err)
}

// HasOptions asks whether a host holds one exact release.
type HasOptions struct {
	Service string
	Version string
	SHA256  string
}

// Has says whether release Version of the service is staged here with
// sha256 SHA256 and content that still verifies, so the fleet controller
// can skip copying it. A release of that name with another sha256, or one
// changed since it was staged, is "no" with the reason: staging the right
// artifact again repairs the latter.
func (h *Host) Has(_ context.Context, opts HasOptions) (schema.Has, error) {
	out := schema.Has{Schema: schema.HasV1, Service: opts.Service, Version: opts.Version}
	if err := validSHA256(opts.SHA256, false); err != nil {
		return out, err
	}
	if err := release.ValidVersion(opts.Version); err != nil {
		return out, asInput(err)
	}
	_, dir, err := h.loadInstalled(opts.Service)
	if err != nil {
		return out, err
	}
	store, err := release.Open(dir)
	if err != nil {
		return out, err
	}
	rel, err := store.Get(opts.Version)
	switch {
	case errors.Is(err, release.ErrNotFound) || errors.Is(err, release.ErrCorrupt):
		out.Reason = err.Error()
		return out, nil
	case err != nil:
		return out, err
	}
	out.SHA256 = rel.SHA256
	if !strings.EqualFold(rel.SHA256, opts.SHA256) {
		out.Reason = fmt.Sprintf("release %s has sha256 %s, not %s", opts.Version, rel.SHA256, strings.ToLower(opts.SHA256))
		return out, nil
	}
	if problem := verifyRelease(store, opts.Version); problem != "" {
		out.Reason = fmt.Sprintf("release %s is staged but %s: staging its artifact again repairs it", opts.Version, problem)
		return out, nil
	}
	out.Has = true
	return out, nil
}

// validSHA256 checks a hex sha256 given on the command line; "" passes when
// optional.
func validSHA256(s string, optional bool) error {
	if s == "" && optional {
		return nil
	}
	if len(s) != 64 || strings.Trim(strings.ToLower(s), "0123456789abcdef") != "" {
		return inputf("sha256 %q: want 64 hex digits (what sha256sum prints)", s)
	}
	return nil
}

// stagedRelease is release version as deploy --version rolls it out: it
// must be staged; if not, the error lists the releases that are.
func stagedRelease(store *release.Store, service, version string) (release.Release, error) {
	if err := release.ValidVersion(version); err != nil {
		return release.Release{}, asInput(err)
	}
	rel, err := store.Get(version)
	if err == nil {
		return rel, nil
	}
	if !errors.Is(err, release.ErrNotFound) && !errors.Is(err, release.ErrCorrupt) {
		return release.Release{}, err
	}
	staged := "none"
	if rels, lerr := store.Releases(); lerr == nil && len(rels) > 0 {
		var vs []string
		for _, r := range rels {
			vs = append(vs, r.Version)
		}
		staged = strings.Join(vs, ", ")
	}
	return release.Release{}, inputf("release %s of %s is not staged here (%v); staged: %s; stage it with `sysroll stage %s --artifact PATH --version %s` or deploy with --artifact",
		version, service, err, staged, service, version)
}
