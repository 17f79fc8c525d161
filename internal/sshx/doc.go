// Package sshx is the SSH client the fleet controller uses to reach its
// hosts: config resolution through OpenSSH's own `ssh -G`, host keys that are
// always verified against known_hosts, agent and identity-file auth,
// ProxyJump chains, and a Pool that keeps one connection per host for a whole
// command with bounded parallel handshakes and keepalives.
//
// Why these modules (fleet.md §4):
//
//   - golang.org/x/crypto/ssh is the SSH protocol itself (client, sessions,
//     global requests for keepalive, NewClientConn over an existing
//     connection for jump hosts); ssh/knownhosts parses known_hosts with
//     hashed entries, @cert-authority and @revoked lines; ssh/agent talks to
//     the user's ssh-agent so encrypted keys need no prompt.
//   - github.com/skeema/knownhosts wraps x/crypto's knownhosts to tell which
//     key types are recorded for a host, so HostKeyAlgorithms can be set per
//     host. Without it a host offering ed25519 first while known_hosts holds
//     only its RSA key fails as "key mismatch" (golang/go#29286, kamal#1814).
//   - github.com/gliderlabs/ssh is used by the tests only, for in-process SSH
//     servers on 127.0.0.1 (no root, no sshd binary).
//
// Shelling out to `ssh -G` (rather than parsing ~/.ssh/config ourselves)
// gives exactly OpenSSH's answer, Match blocks and token expansion included;
// it is behind the Resolver interface so tests use a fake.
//
// Use:
//
//	pool := sshx.NewPool(sshx.Options{Resolver: &sshx.Inventory{
//		Base: &sshx.OpenSSHResolver{}, Hosts: overridesFromInventory}})
//	defer pool.Close()
//	out, errOut, code, err := pool.Run(ctx, "web1", []string{"sysroll", "version", "--json"}, nil)
//
// Inventory values win over the SSH config as OpenSSH's command line does
// (see Overrides). Each host's Target is resolved once per Pool, and each
// host keeps one connection for the Pool's life; a bastion named in
// ProxyJump gets one connection shared by every host behind it, and every
// hop is verified against known_hosts under its own name.
//
// Host keys: there is no "StrictHostKeyChecking no". An unknown key is an
// *UnknownHostKeyError naming the host, key type and SHA256 fingerprint; a
// changed key is a *ChangedHostKeyError with both fingerprints, refused even
// with Options.AcceptNew; a revoked key is a *RevokedHostKeyError.
package sshx
