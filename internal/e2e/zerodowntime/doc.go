//go:build integration

// Package zerodowntime proves, end to end, that sysroll's rollouts lose no
// request: the real sysroll binary and the hello example run inside a
// throwaway systemd (testbed container), and a real HAProxy runs on the host
// as a child process of the test, in front of the instances.
//
// What is shown, one test each:
//   - a shared-socket rollout (deploy and restart) refuses no connection
//     under load and never touches NAME.socket;
//   - the HAProxy drain waits for a request in flight before the restart;
//   - a wrong admin socket, backend or server name fails before any
//     instance is touched;
//   - an interrupted rollout (SIGINT, or SIGKILL then resume or rollback)
//     leaves no server in drain or maintenance;
//   - pre_stop/post_start hooks run around each restart with their
//     environment;
//   - a --probe breach fails the batch and rolls it back.
//
// The container shares the host's network; HAProxy's admin socket is
// created inside the container's filesystem (through /proc/PID/root), so
// sysroll in the container and the test on the host both reach it. Ports
// 18400-18499 belong to these tests. Run as root:
//
//	go test -tags integration -count=1 -v ./e2e/zerodowntime/
package zerodowntime
