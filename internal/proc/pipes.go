package proc

import (
	"io"
	"os"
	"os/exec"
	"time"
)

// os/exec copies a command's output through pipes it makes itself, and its
// Wait returns only once every process holding their write ends has closed
// them, or, after WaitDelay, with ErrWaitDelay: a check or hook that exited
// 0 but left `setsid daemon &` holding its stdout was reported as failed,
// "exec: WaitDelay expired before I/O complete", 2 s late. Run makes the
// pipes itself instead, so that it learns of the command's exit at once,
// kills what the command left behind (which closes the pipes), and only
// then waits for the rest of the output, still bounded by WaitDelay.

// pipes are the output pipes Run made for one command.
type pipes struct {
	read, write []*os.File
	dest        []io.Writer   // where read[i] is copied to
	copied      chan struct{} // one value per finished copier
}

// ownPipes replaces each of cmd's Stdout and Stderr that is a plain
// io.Writer (not nil, not an *os.File) by the write end of a pipe of our
// own, one pipe for both if they are the same writer.
func ownPipes(cmd *exec.Cmd) (*pipes, error) {
	p := &pipes{copied: make(chan struct{}, 2)}
	made := map[io.Writer]*os.File{}
	for _, w := range []*io.Writer{&cmd.Stdout, &cmd.Stderr} {
		if *w == nil {
			continue
		}
		if _, ok := (*w).(*os.File); ok {
			continue
		}
		if f, ok := made[*w]; ok {
			*w = f
			continue
		}
		r, wf, err := os.Pipe()
		if err != nil {
			p.close()
			return nil, err
		}
		made[*w] = wf
		p.read, p.write, p.dest = append(p.read, r), append(p.write, wf), append(p.dest, *w)
		*w = wf
	}
	return p, nil
}

// started closes our copies of the write ends (the command has its own)
// and starts copying the output.
func (p *pipes) started() {
	for _, f := range p.write {
		f.Close()
	}
	p.write = nil
	for i, r := range p.read {
		go func() {
			_, _ = io.Copy(p.dest[i], r)
			p.copied <- struct{}{}
		}()
	}
}

// wait waits until every write end is closed, for at most grace, then
// closes the read ends. It returns exec.ErrWaitDelay if the grace ran out,
// as exec's own Wait would; a grace of 0 is DefaultGrace, not forever.
func (p *pipes) wait(grace time.Duration) error {
	if grace <= 0 {
		grace = DefaultGrace // never unbounded
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	var err error
	for range p.read {
		select {
		case <-p.copied:
			continue
		case <-timer.C:
			err = exec.ErrWaitDelay
		}
		break
	}
	p.close()
	return err
}

func (p *pipes) close() {
	for _, f := range append(p.read, p.write...) {
		f.Close()
	}
}

// waitErr joins the command's own result with the pipes': the command's
// failure, if any, is what matters; an exit 0 whose output never ended is
// ErrWaitDelay.
func waitErr(cmdErr, pipeErr error) error {
	if cmdErr != nil {
		return cmdErr
	}
	return pipeErr
}
