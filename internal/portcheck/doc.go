// Package portcheck finds who listens on a TCP port: the socket in
// /proc/net/tcp and tcp6, the process holding it (/proc/PID/fd), its
// command and its systemd unit (/proc/PID/cgroup). apply asks before it
// starts an instance on a port, so that a port taken by something else is
// refused with its owner named instead of crash-looping on "address
// already in use".
//
// Table is the seam: Proc reads /proc, portchecktest.Table is a fake.
package portcheck
