// Package release keeps a service's releases, the per-instance pointer to
// the release it runs, the rollout records and the deploy lock, all under the
// service's state directory, with atomic writes so a kill -9 at any moment
// leaves a consistent store.
//
// Layout of a Store (the caller picks the directory: /var/lib/sysroll/NAME
// for system services, ~/.local/share/sysroll/NAME for user services):
//
//	releases/VERSION/            the artifact, exactly (a single binary under its
//	                             own name, or StageOptions.As): {release}/hello works
//	releases/VERSION.json        its metadata (Release); written last, so a
//	                             release exists only once this file does
//	releases/.lock               flock'd briefly by Stage, Switch and Prune
//	releases/.tmp-*              a Stage in progress (flock'd while it runs)
//	instances/INSTANCE/current   -> ../../releases/VERSION (relative symlink)
//	rollouts/ID.json             one Record per rollout
//	known-good                   releases proven good, and which one is current
//	lock                         flock'd while a rollout runs; holder as JSON
//	FILE.corrupt-STAMP[.why]     a state file found corrupt, moved aside
//
// Names (versions, instances, rollout IDs) follow one rule (validName) that
// keeps every name a user picks from ever being, or mapping onto, one of
// the files above: no leading dot or dash, no ".json" suffix, no ".tmp-" or
// ".corrupt-" inside. So the layout needs no migration: an older store is
// read as it is, and a release an older sysroll let be named against the
// rule is left alone on disk, never deleted.
//
// Trust. Whoever can write in the state directory decides what sysroll
// runs, so Open refuses a store someone else could change (owner, mode,
// links: see SecureDir). Inside it, nothing is followed through a link
// sysroll did not make: state files are read with O_NOFOLLOW and bounded
// (records 4 MiB, metadata 64 KiB, known-good 1 MiB, lock 4 KiB), the locks
// are opened O_NOFOLLOW and must be regular files, instances/INSTANCE must
// be a real directory and current a link into releases/. Atomic writes
// create their temporary file with O_EXCL (never through anything planted)
// and rename it over the target, which replaces a link rather than follows
// it. os.Root is used where a tree from outside is unpacked (staging); for
// the store's own fixed set of paths the checks above are enough, and keep
// the paths in messages the ones an operator sees.
//
// Corruption. A state file that cannot be used (not valid JSON, a value the
// engine cannot act on, too large, a link or special file in its place) is
// named in the error with what it is and what is wrong, and quarantined:
// renamed to FILE.corrupt-STAMP beside a note of why, never overwritten
// nor deleted, listed by Quarantined (and by `sysroll status`). It then
// blocks nothing: Records, Unfinished and history skip a corrupt record;
// a corrupt known-good history is rebuilt from the records of rollouts that
// succeeded (see rebuildGood), and a rollback that cannot be proven from
// them is refused naming the file and --to; Prune keeps a release whose
// metadata is quarantined. Any command that reads a corrupt file moves it,
// status and history included. A file or FIFO where releases/, instances/
// or rollouts/ belongs is quarantined too and the directory made again; a
// link there is refused like an untrusted state directory (it may be a
// directory moved to another disk, whose content a quarantine would hide).
//
// Releases are immutable, and Verify is the one definition of "this
// release is what was staged": its metadata readable, its directory a real
// directory, its binary's sha256 or its tree hash (a directory's, or what a
// tarball unpacked to) the one Stage recorded, read bounded and without
// following links. Whoever changes a release behind sysroll's back (a
// deleted directory, a replaced binary) is answered by staging the same
// artifact under the same version again: Stage then puts the staged
// content back in one rename exchange; another artifact is refused. An
// instance is moved to another release by
// renaming a new symlink over instances/INSTANCE/current: rename(2) is
// atomic, so a process starting at any moment finds either the old or the
// new release, and a unit that runs instances/%i/current/hello needs no
// daemon-reload. Nothing here talks to systemd; restarting the instance is
// the rollout engine's job.
//
// Permissions: releases/ and instances/ (and everything staged in them) are
// world-readable and traversable, so a service running as a DynamicUser can
// follow its symlink and execute its release; the state directory itself must
// be traversable too (Open creates it 0755 and refuses an existing one that
// others can write). rollouts/, known-good and lock are private to the owner.
//
// Leftovers of a killed run (a staging directory no Stage holds, temporary
// files of an interrupted atomic write) are removed by the next Lock and by
// Prune, at once: a staging directory is flock'd by its Stage, so one whose
// flock can be taken is abandoned, however new.
//
// Every mutating method is safe against a crash at any point. Stage, Switch
// and Prune serialize among themselves (a short flock on releases/.lock);
// rollout records and the known-good history assume the caller holds the
// deploy Lock, which every rollout must hold from start to end.
package release
