// Package release keeps a service's releases, the per-instance pointer to
// the release it runs, the rollout records and the deploy lock, all under the
// service's state directory, with atomic writes so a kill -9 at any moment
// leaves a consistent store.
package release
