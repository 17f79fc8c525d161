// Package systemdtest provides Fake, an in-memory systemd.Manager that a test
// drives, in the spirit of tableflip's env_test.go: the test decides what
// every job does to a unit and which result it ends with, and can change a
// unit's state at any (fake) time to simulate a crash, an auto-restart or a
// unit that never becomes ready.
//
// By default every unit named in New is loaded and running, a restart gives
// it a new InvocationID and MainPID and ends "done", and jobs take no time.
// Scripts registered with On (or OnRestart, OnStart, OnStop) replace the
// outcome for units whose name matches a glob:
//
//	f := systemdtest.New("hello@8081.service", "hello@8082.service")
//	f.OnRestart("hello@8082.service", func(u *systemd.UnitState) systemd.JobResult {
//		// healthy at first, then killed and restarted by Restart=on-failure
//		f.SetAfter(3*time.Second, u.Name, systemdtest.AutoRestarted)
//		return systemd.JobDone
//	})
//
// Every mutating call (jobs, reload, enable, disable, reset-failed) is kept
// in order with its begin and end time, so a test can assert that no two
// batches were down together or that an instance was never touched.
//
// Time comes from package time, so under testing/synctest job delays and
// SetAfter run on the bubble's fake clock. Create the Fake inside the bubble.
// A Fake is safe for concurrent use.
package systemdtest
