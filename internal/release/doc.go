// Package release keeps a service's releases, the per-instance pointer to
// the release it runs, the rollout records and the deploy lock, all under the
// service's state directory, with atomic writes so a kill -9 at any moment
// leaves a consistent store.
//
// Layout of a Store (the caller picks the directory: /var/lib/sysroll/NAME
// for system services, ~/.local/share/sysroll/NAME for user services):
//
//	releases/VERSION/            the artifact, exactly: {release}/hello works
//	releases/VERSION.json        its metadata (Release); written last, so a
//	                             release exists only once this file does
//	instances/INSTANCE/current   -> ../../releases/VERSION (relative symlink)
//	rollouts/ID.json             one Record per rollout
//	known-good                   releases proven good, and which one is current
//	lock                         flock'd while a rollout runs; holder as JSON
//
// Releases are immutable. An instance is moved to another release by
// renaming a new symlink over instances/INSTANCE/current: rename(2) is
// atomic, so a process starting at any moment finds either the old or the
// new release, and a unit that runs instances/%i/current/hello needs no
// daemon-reload. Nothing here talks to systemd; restarting the instance is
// the rollout engine's job.
//
// Permissions: releases/ and instances/ (and everything staged in them) are
// world-readable and traversable, so a service running as a DynamicUser can
// follow its symlink and execute its release; the state directory itself must
// be traversable too (Open creates it 0755, but leaves an existing one alone).
// rollouts/, known-good and lock are private to the owner.
//
// Every mutating method is safe against a crash at any point. Stage, Switch
// and Prune serialize among themselves (a short flock on releases/.lock);
// rollout records and the known-good history assume the caller holds the
// deploy Lock, which every rollout must hold from start to end.
package release
