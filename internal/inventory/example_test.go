package inventory_test

import (
	"fmt"

	"github.com/sysroll/sysroll/internal/inventory"
)

func Example() {
	inv, err := inventory.Parse("hosts.ini", []byte(`
[web]
web[01:03] ansible_user=deploy sysroll_label_zone=a
web04 ansible_host=10.0.0.4 sysroll_label_zone=b

[web:vars]
ansible_become=true
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	sel, err := inv.Limit("web:!web02:&zone=a")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range sel.Hosts {
		fmt.Println(h.Name, h.Address, h.User, h.Become, h.Labels["zone"], h.Groups)
	}
	_, err = inv.Limit("web:!web2")
	fmt.Println(err)
	// Output:
	// web01 web01 deploy true a [web]
	// web03 web03 deploy true a [web]
	// --limit "web:!web2": "web2" matches no host or group; the inventory has 4 hosts (web01, web02, web03, web04) and groups all, web
}

func ExampleParse_refused() {
	_, err := inventory.Parse("hosts.ini", []byte("[db]\ndb1 ansible_connection=local ansible_ssh_pass=x\n"))
	fmt.Println(err)
	// Output:
	// hosts.ini:2: host db1: ansible_connection "local": sysroll connects over ssh only
	// hosts.ini:2: host db1: ansible_ssh_pass: sysroll never uses passwords; use a key (ssh-agent or ansible_ssh_private_key_file) and NOPASSWD sudo
}
