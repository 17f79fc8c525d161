// Package inventory is the list of hosts a fleet rollout runs on: sysroll's
// own format (a separate file or the hosts: key of the service file),
// Ansible's static INI and YAML inventories read as they are, and the JSON
// of ansible-inventory --list for everything dynamic. It does no I/O but
// ReadFile and never connects anywhere; the fleet code takes the Hosts.
//
// # sysroll's format
//
// Small on purpose: what sysroll needs to reach a host and place it.
//
//	defaults:            # optional; every host starts from these
//	  user: deploy
//	  identity: ~/.ssh/deploy_ed25519
//	  jump: bastion.example.com      # ProxyJump: [user@]host[:port][,...]
//	  become: true                   # run sysroll through sudo -n (NOPASSWD)
//	  labels: {region: eu}
//	hosts:
//	  - name: app1                   # required: what --limit and messages use
//	    address: 10.0.0.11           # default: the name
//	    port: 2222                   # default: the SSH configuration's
//	    labels: {zone: a, rack: r1}  # merged over the defaults' labels
//	  - name: app2
//	    address: 10.0.0.12
//	    labels: {zone: b}
//	    instances: [8081, 8082, 8083] # this host's own instances
//
// instances is written as in the service file (a list, or {count: 3,
// first_port: 8081}; {count: 3} alone names them 1..3, which are not ports,
// see Host.CountedInstances) and replaces the service's instances on that
// host.
// In a service file, hosts: takes the same thing: the list alone, or the
// mapping of defaults: and hosts: (see DecodeHosts). Unset fields stay
// unset (Port 0, User ""), so ~/.ssh/config decides, as it would for ssh.
//
// # Ansible inventories
//
// INI ([group], [group:vars], [group:children], ranges web[01:20] and
// db-[a:c], key=value with shell quoting, host:port) and YAML (all:,
// hosts:, vars:, children:, with anchors, aliases and merge keys in
// variables) are read as Ansible reads them: variables merge from all,
// then groups from the shallowest to the deepest, by ansible_group_priority
// and by name, then the host's own; a host in no group is in ungrouped. sysroll takes ansible_host (address), ansible_port,
// ansible_user, ansible_ssh_private_key_file (identity), -J or ProxyJump
// (or a plain "ssh -W %h:%p HOST" ProxyCommand) in ansible_ssh_common_args
// or ansible_ssh_extra_args (jump), ansible_become with sudo (become), and
// its own sysroll_instances, sysroll_labels ({zone: a}) and
// sysroll_label_KEY. Groups become Host.Groups, matched by --limit and as
// the label group=NAME. Other variables are Ansible's and are ignored.
//
// What sysroll cannot honour is refused at its file:line(:col), never
// guessed: ansible_connection other than ssh, any password variable
// (sysroll logs in with keys and runs sudo -n), Vault values and Jinja
// templates in the variables it reads (ansible-inventory --list does not
// render them either: write the values out), become methods other than
// sudo or users other than root, cycles in children, a host given two
// different addresses (Ansible's last-wins would make section order decide
// where a deploy goes), a ':' in a host name outside an IPv6 address, and
// aliases standing for groups, hosts: or children: (a loop, or a tree
// that grows exponentially). Inventory.SameMachine reports two names for
// one machine, which sysroll's own format refuses. For group_vars/, host_vars/, plugins and scripts,
// give sysroll the output of ansible-inventory -i INV --list.
//
// # Selecting hosts
//
// Inventory.Limit takes --limit in Ansible's pattern syntax (web,
// web:&zone_a, web:!web03, globs, ~regex), plus KEY=VALUE for a label
// (zone=a, group=web). An item that matches nothing is an error, not a
// warning as in Ansible, and so is an empty selection: both name what the
// inventory has.
//
// # Bounds
//
// Any input is parsed within a fixed budget and never panics (FuzzParse):
// MaxFileSize bytes, MaxHosts hosts after ranges are expanded (a range is
// counted before it is expanded), MaxGroups groups, MaxNameLength for
// names, MaxLabels labels of MaxLabelLength; YAML is bounded in tokens,
// depth and entries per mapping before go-yaml builds a tree (see
// MaxYAMLTokens). Every refusal names the file, the line and the limit.
package inventory
