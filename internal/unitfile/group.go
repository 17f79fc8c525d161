package unitfile

// target renders NAME.target, the handle on all instances.
func (r renderer) target() string {
	svc := r.svc
	u := &unit{}
	r.header(u)
	u.comment("The group: start/stop it to act on every instance. Wants=, never Requires=:")
	u.comment("one instance failing must not stop the others. sysroll never restarts it.")
	u.section("Unit")
	u.set("Description", escapeSpecifiers(svc.Description)+" (all instances)")
	if svc.Listen != "" {
		u.set("Wants", SocketUnit(svc.Name))
	}
	for _, inst := range svc.InstanceNames() {
		u.set("Wants", InstanceUnit(svc.Name, inst))
	}
	u.section("Install")
	if r.p.User {
		u.set("WantedBy", "default.target")
	} else {
		u.set("WantedBy", "multi-user.target")
	}
	return u.String()
}

// socket renders NAME.socket, the listening socket every instance shares.
func (r renderer) socket() string {
	svc := r.svc
	first := svc.InstanceNames()[0]
	u := &unit{}
	r.header(u)
	u.comment("One listening socket shared by every instance (Sockets= in the template):")
	u.comment("while one instance restarts, the kernel queues connections for the others.")
	u.comment("A socket must name one service to start on traffic when none runs; that is")
	u.comment("the first instance. sysroll never stops or restarts this socket in a rollout.")
	u.section("Unit")
	u.set("Description", escapeSpecifiers(svc.Description)+" (shared socket)")
	u.set("PartOf", TargetUnit(svc.Name))
	u.section("Socket")
	u.set("ListenStream", escapeSpecifiers(svc.Listen))
	u.set("Service", InstanceUnit(svc.Name, first))
	u.section("Install")
	u.set("WantedBy", "sockets.target")
	return u.String()
}
