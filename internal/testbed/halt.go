package testbed

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Close halts the container and waits until systemd-nspawn has exited. It
// asks for an orderly halt first and kills the container after a timeout.
// Calling it again returns the first result.
func (c *Container) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.halt() })
	return c.closeErr
}

// cleanup removes what the container leaves on the host once nspawn has
// exited: its log, its cgroups, and nspawn's mount propagation directory
// (which nspawn leaves behind when killed, or when /run is no tmpfs).
func (c *Container) cleanup() {
	os.RemoveAll(c.dir)
	removeCgroups(c.cgroups)
	os.RemoveAll(filepath.Join("/run/systemd/nspawn/propagate", c.name))
}

func (c *Container) halt() error {
	select {
	case <-c.exited:
		// nspawn is gone; make sure its init went with it (it does not when
		// nspawn itself was SIGKILLed).
		c.killInit()
		c.cleanup()
		return nil
	default:
	}
	deadline := time.After(haltTimeout)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		// Repeat the signal: PID 1 of a namespace drops signals it has no
		// handler for yet, as early in its boot.
		if c.initPID > 0 {
			syscall.Kill(c.initPID, sigRTMin3)
		} else {
			c.cmd.Process.Signal(syscall.SIGTERM)
		}
		select {
		case <-c.exited:
			c.cleanup()
			return nil
		case <-deadline:
			// Keep the log: it may tell why the halt hung.
			err := c.kill()
			if err == nil {
				removeCgroups(c.cgroups)
				os.RemoveAll(filepath.Join("/run/systemd/nspawn/propagate", c.name))
			}
			return errors.Join(
				fmt.Errorf("testbed %s: did not halt within %s, killed it; log in %s", c.name, haltTimeout, c.LogPath()),
				err)
		case <-tick.C:
		}
	}
}

// kill SIGKILLs the container and waits for nspawn to exit.
func (c *Container) kill() error {
	nspawn := c.cmd.Process.Pid
	// Freeze nspawn, so that it forks nothing meanwhile and reaps nothing
	// (its children's PIDs cannot be reused), and kill its children: the
	// container's init, which would outlive nspawn otherwise, and any helper.
	// Killing PID 1 of a PID namespace kills everything in it. Let go, nspawn
	// reaps them and exits. Early in a boot it may have had no child yet and
	// go on to fork one: then do it again. (Killing nspawn first would leave
	// the container running, or its processes as zombies to the host's init.)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		syscall.Kill(nspawn, syscall.SIGSTOP)
		for _, child := range children(nspawn) {
			syscall.Kill(child, syscall.SIGKILL)
		}
		syscall.Kill(nspawn, syscall.SIGCONT)
		select {
		case <-c.exited:
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
	c.killInit()
	c.cmd.Process.Kill()
	select {
	case <-c.exited:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("testbed %s: systemd-nspawn (pid %d) survived SIGKILL", c.name, nspawn)
	}
}

// killInit SIGKILLs the container's init if it still is the process we found.
func (c *Container) killInit() {
	if c.initPID > 0 && startTime(c.initPID) == c.initTime {
		syscall.Kill(c.initPID, syscall.SIGKILL)
	}
}
