package inventory

import (
	"strings"
)

// passwordVars are refused wherever they appear: sysroll logs in with keys
// (ssh-agent or a key file) and runs sudo -n, so a password in the
// inventory means the fleet expects something sysroll will never do.
var passwordVars = map[string]bool{
	"ansible_password": true, "ansible_ssh_pass": true, "ansible_ssh_password": true,
	"ansible_become_pass": true, "ansible_become_password": true, "ansible_sudo_pass": true,
	"ansible_sudo_password": true, "ansible_su_pass": true,
}

// readVars are the variables sysroll reads; a Jinja template or a vault
// value in one of them is refused (sysroll evaluates neither). Any other
// variable belongs to Ansible and is ignored, templates and all.
func readVar(k string) bool {
	switch k {
	case "ansible_host", "ansible_ssh_host", "ansible_port", "ansible_ssh_port",
		"ansible_user", "ansible_ssh_user", "ansible_ssh_private_key_file", "ansible_private_key_file",
		"ansible_ssh_common_args", "ansible_ssh_extra_args", "ansible_connection",
		"ansible_become", "ansible_become_method", "ansible_become_user":
		return true
	}
	return strings.HasPrefix(k, "sysroll_")
}

// maxVars bounds the variables sysroll keeps from one vars mapping, host
// line or hostvars entry (the ones it reads; all others are dropped as
// they are read, so a large cloud inventory costs only what sysroll uses).
const maxVars = 256

// keepVar reports whether sysroll reads (or refuses) variable k.
// ansible_group_priority orders groups of one depth (resolve).
func keepVar(k string) bool {
	return passwordVars[k] || readVar(k) || k == "ansible_group_priority"
}

// setVar keeps variable k in vars if sysroll reads it; false (reported)
// when vars already holds maxVars.
func setVar(e *errs, vars map[string]val, k string, v val) bool {
	if !keepVar(k) {
		return true
	}
	if _, ok := vars[k]; !ok && len(vars) >= maxVars {
		e.addOnce("maxVars", v.p, "more than %d sysroll_ and connection variables in one place", maxVars)
		return false
	}
	vars[k] = v
	return true
}

// hostFromVars maps a host's merged variables onto a Host, reporting what
// sysroll cannot honour at the variable's own line.
func hostFromVars(e *errs, hd *hostDef, vars map[string]val) Host {
	h := Host{Name: hd.name, Source: source(e.file, hd.p)}
	for _, k := range sortedKeys(vars) {
		v := vars[k]
		if why := unusable(k, v); why != "" {
			e.addOnce(k, v.p, "host %s: %s", hd.name, why)
			continue
		}
		if readVar(k) {
			if why := applyVar(&h, k, v); why != "" {
				e.addOnce(k, v.p, "host %s: %s", hd.name, why)
			}
		}
	}
	if h.Become {
		if m, ok := vars["ansible_become_method"]; ok && m.s != "sudo" {
			e.addOnce("ansible_become_method", m.p, "host %s: ansible_become_method %s: sysroll becomes root with sudo -n only", hd.name, short(m.s))
		}
		if u, ok := vars["ansible_become_user"]; ok && u.s != "root" {
			e.addOnce("ansible_become_user", u.p, "host %s: ansible_become_user %s: sysroll needs root on the host", hd.name, short(u.s))
		}
	}
	return h
}

// unusable says why variable k cannot be honoured whatever its value (a
// password), or as written (a template, a vault value, a structure where
// sysroll reads one value); "" when it can.
func unusable(k string, v val) string {
	switch {
	case passwordVars[k]:
		return k + ": sysroll never uses passwords; use a key (ssh-agent or ansible_ssh_private_key_file) and NOPASSWD sudo"
	case !readVar(k):
		return ""
	}
	if why := templated(v); why != "" {
		return k + " " + why
	}
	if v.kind != scalar && k != "sysroll_instances" && k != "sysroll_labels" {
		return k + " must be a single value"
	}
	return ""
}

// applyVar sets what variable k says on h; it returns why it cannot.
func applyVar(h *Host, k string, v val) string {
	switch k {
	case "ansible_host", "ansible_ssh_host":
		h.Address = v.s
	case "ansible_port", "ansible_ssh_port":
		n, why := checkPort(v.s)
		if why != "" {
			return k + ": " + why
		}
		h.Port = n
	case "ansible_user", "ansible_ssh_user":
		h.User = v.s
	case "ansible_ssh_private_key_file", "ansible_private_key_file":
		h.Identity = v.s
	case "ansible_ssh_common_args", "ansible_ssh_extra_args":
		jump, why := jumpFromArgs(v.s)
		if why != "" {
			return k + ": " + why
		}
		if jump != "" {
			h.Jump = jump
		}
	case "ansible_connection":
		if v.s != "ssh" && v.s != "smart" {
			return "ansible_connection " + short(v.s) + ": sysroll connects over ssh only"
		}
	case "ansible_become":
		b, ok := parseBool(v.s)
		if !ok {
			return "ansible_become " + short(v.s) + " is not true or false"
		}
		h.Become = b
	case "ansible_become_method", "ansible_become_user":
		// checked by hostFromVars once become is known
	default:
		return sysrollVar(h, k, v)
	}
	return ""
}

// sysrollVar reads sysroll_instances (a list, "8081,8082" or INI's
// "[8081,8082]"); labels are
// read by labelsFrom, and any other sysroll_ name is a typo.
func sysrollVar(h *Host, k string, v val) string {
	switch {
	case k == "sysroll_instances":
		switch v.kind {
		case scalar:
			// "8081,8082", or INI's Python literal "[8081,8082]" / "['a','b']"
			h.Instances = strings.Split(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v.s), "["), "]"), ",")
			for i := range h.Instances {
				h.Instances[i] = strings.Trim(strings.TrimSpace(h.Instances[i]), `'"`)
			}
		case list:
			h.Instances = v.items
		default:
			return "sysroll_instances must be a list of instances ([8081, 8082] or \"8081,8082\")"
		}
	case k == "sysroll_labels" || strings.HasPrefix(k, "sysroll_label_"):
	default:
		return "unknown variable " + k + ": sysroll reads sysroll_instances, sysroll_labels and sysroll_label_KEY"
	}
	return ""
}

// labelsFrom merges the label variables layer by layer (groups in
// precedence order, then the host's own), so a host's sysroll_label_zone
// beats a group's sysroll_labels: {zone: ...}, whatever the names' order.
// Their values were checked by hostFromVars (templated, kind).
func labelsFrom(e *errs, host string, layers []map[string]val) map[string]string {
	var out map[string]string
	set := func(k, v string) {
		if out == nil {
			out = make(map[string]string)
		}
		out[k] = v
	}
	for _, vars := range layers {
		if v, ok := vars["sysroll_labels"]; ok {
			if v.kind != mapping {
				e.addOnce("sysroll_labels", v.p, "host %s: sysroll_labels must be a mapping ({zone: a, rack: r1})", host)
				continue
			}
			for _, k := range sortedKeys(v.m) {
				set(k, v.m[k])
			}
		}
		for _, k := range sortedKeys(vars) {
			if name, ok := strings.CutPrefix(k, "sysroll_label_"); ok {
				set(name, vars[k].s)
			}
		}
	}
	return out
}

func setLabel(h *Host, k, v string) {
	if h.Labels == nil {
		h.Labels = make(map[string]string)
	}
	h.Labels[k] = v
}

// templated says why a value cannot be used as written: a vault value or
// a Jinja template.
func templated(v val) string {
	if v.vault || strings.HasPrefix(strings.TrimSpace(v.s), "$ANSIBLE_VAULT") {
		return "is an Ansible Vault value: sysroll does not decrypt vaults; write the value in the clear (it is not a secret) or leave it out"
	}
	texts := append([]string{v.s}, v.items...)
	for k, x := range v.m {
		texts = append(texts, k, x)
	}
	for _, s := range texts {
		if strings.Contains(s, "{{") || strings.Contains(s, "{%") {
			return "is a Jinja template: sysroll does not evaluate Jinja; run ansible-inventory --list and give sysroll its JSON, or write the value out"
		}
		if strings.HasPrefix(strings.TrimSpace(s), "$ANSIBLE_VAULT") {
			return "is an Ansible Vault value: sysroll does not decrypt vaults"
		}
	}
	return ""
}

// parseBool reads a boolean the way Ansible does.
func parseBool(s string) (b, ok bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1", "y", "t":
		return true, true
	case "false", "no", "off", "0", "n", "f", "":
		return false, true
	}
	return false, false
}

// jumpFromArgs finds the jump host in ssh arguments: -J HOST, -JHOST,
// -o ProxyJump=HOST, and the older -o ProxyCommand="ssh -W %h:%p HOST".
// Other options are left to the user's ssh configuration; a ProxyCommand
// that is not a plain jump is refused (sysroll would connect differently).
func jumpFromArgs(s string) (string, string) {
	words, err := shellSplit(s)
	if err != nil {
		return "", err.Error()
	}
	jump := ""
	for i := 0; i < len(words); i++ {
		w := words[i]
		next := func() string {
			if i+1 < len(words) {
				i++
				return words[i]
			}
			return ""
		}
		switch {
		case w == "-J":
			jump = next()
		case strings.HasPrefix(w, "-J"):
			jump = w[2:]
		case w == "-o" || strings.HasPrefix(w, "-o"):
			opt := strings.TrimPrefix(w, "-o")
			if opt == "" {
				opt = next()
			}
			key, value := splitOption(opt)
			if key == "" && value == "" {
				// the value is the next word: -o ProxyJump host
				key, value = strings.ToLower(strings.TrimSpace(opt)), next()
			}
			switch key {
			case "proxyjump":
				jump = value
			case "proxycommand":
				j, ok := jumpFromProxyCommand(value)
				if !ok {
					return "", "a ProxyCommand other than \"ssh -W %h:%p HOST\": use ProxyJump (-J), which sysroll honours"
				}
				jump = j
			}
		}
	}
	if jump != "" {
		if why := checkJump(jump); why != "" {
			return "", "jump host " + why
		}
	}
	return jump, ""
}

// splitOption splits "Key=value" or "Key value"; key is lowercased. Both
// are "" when opt is only a key.
func splitOption(opt string) (key, value string) {
	opt = strings.TrimSpace(opt)
	if i := strings.IndexAny(opt, "= \t"); i >= 0 {
		return strings.ToLower(opt[:i]), strings.TrimLeft(opt[i:], "= \t")
	}
	return "", ""
}

// jumpFromProxyCommand reads "ssh [-q] -W %h:%p [-p PORT] [-l USER] [user@]HOST".
func jumpFromProxyCommand(cmd string) (string, bool) {
	words, err := shellSplit(cmd)
	if err != nil || len(words) < 3 || words[0] != "ssh" {
		return "", false
	}
	host, user, port, sawW := "", "", "", false
	for i := 1; i < len(words); i++ {
		switch w := words[i]; {
		case w == "-q":
		case w == "-W" && i+1 < len(words) && words[i+1] == "%h:%p":
			sawW = true
			i++
		case (w == "-p" || w == "-l") && i+1 < len(words):
			if w == "-p" {
				port = words[i+1]
			} else {
				user = words[i+1]
			}
			i++
		case !strings.HasPrefix(w, "-") && host == "":
			host = w
		default:
			return "", false
		}
	}
	if !sawW || host == "" {
		return "", false
	}
	if user != "" && !strings.Contains(host, "@") {
		host = user + "@" + host
	}
	if port != "" {
		host += ":" + port
	}
	return host, true
}
