// Package diagnose reads the journal lines of an instance that failed and
// names the setting of the service file that would let it run, when the
// lines carry a known fingerprint of sysroll's sandbox: a syscall the filter
// refused (EPERM), V8's or the JVM's JIT refused by MemoryDenyWriteExecute=,
// a write to the read-only file system, a missing HOME, a path
// protect_home hides. Pure: lines in, hints out, no I/O.
//
// The journal is all there is to read: systemd's SystemCallLog= would name
// the refused call, but it logs through the kernel's audit subsystem, and
// inside a systemd-nspawn container (systemd 252) no audit record reached
// the journal at all (measured: SystemCallLog=setuid on a gunicorn instance
// whose workers' setuid failed logged nothing). So the hints rest on what
// the application itself prints, which for the runtimes sysroll is tested
// with (gunicorn, Node.js, the JVM, Go) names the failing call or path.
package diagnose
