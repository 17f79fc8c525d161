package systemdtest

import "github.com/sysroll/sysroll/internal/systemd"

// The functions below change a unit's state the way systemd would. Use them
// with Set, SetAfter, or inside a Script.

// Failed puts the unit in the failed state: its main process exited with
// status 1 and Restart= did not bring it back.
func Failed(u *systemd.UnitState) {
	u.ActiveState, u.SubState = systemd.Failed, "failed"
	u.MainPID = 0
	u.Result = "exit-code"
	u.ExecMainCode, u.ExecMainStatus = 1, 1
}

// Activating leaves the unit starting: for Type=notify, READY=1 never came.
func Activating(u *systemd.UnitState) {
	u.ActiveState, u.SubState = systemd.Activating, "start"
}

// AutoRestarted simulates a crash that Restart= recovered from: a new
// invocation and main process, NRestarts one higher, running again.
func AutoRestarted(u *systemd.UnitState) {
	u.ActiveState, u.SubState = systemd.Active, "running"
	u.InvocationID = nextInvocation()
	u.MainPID = nextPID()
	u.NRestarts++
	u.Result = "exit-code"
}

// Stopped makes the unit inactive, as after systemctl stop.
func Stopped(u *systemd.UnitState) { stopped(u) }

// FailJob is a Script for a job that fails: the unit ends failed and the job
// result is "failed", as when ExecStart exits at once.
func FailJob(u *systemd.UnitState) systemd.JobResult {
	Failed(u)
	return systemd.JobFailed
}
