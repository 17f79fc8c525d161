package push

import (
	"debug/elf"
	"fmt"
	"strings"
)

// elfArch names the architecture of the ELF binary at path as GOARCH does
// ("amd64", "arm64", ...), so it compares with a host's uname -m through
// unameArch.
func elfArch(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("read %s as an ELF binary: %w (the binary pushed to Linux hosts must be a Linux build: GOOS=linux CGO_ENABLED=0)", path, err)
	}
	defer f.Close()
	arch := machineArch(f.Machine, f.Class, f.ByteOrder.String())
	if arch == "" {
		return "", fmt.Errorf("%s: ELF machine %s (%s) is not an architecture sysroll is built for", path, f.Machine, f.Class)
	}
	return arch, nil
}

// machineArch maps an ELF header's machine, class and byte order to a
// GOARCH name, or "" when unknown.
func machineArch(m elf.Machine, class elf.Class, order string) string {
	little := order == "LittleEndian"
	switch {
	case m == elf.EM_X86_64 && class == elf.ELFCLASS64:
		return "amd64"
	case m == elf.EM_386:
		return "386"
	case m == elf.EM_AARCH64:
		return "arm64"
	case m == elf.EM_ARM:
		return "arm"
	case m == elf.EM_RISCV && class == elf.ELFCLASS64:
		return "riscv64"
	case m == elf.EM_PPC64 && little:
		return "ppc64le"
	case m == elf.EM_PPC64:
		return "ppc64"
	case m == elf.EM_S390:
		return "s390x"
	}
	return ""
}

// unameArch maps uname -m to a GOARCH name, or "" when unknown.
func unameArch(machine string) string {
	switch m := strings.TrimSpace(machine); {
	case m == "x86_64" || m == "amd64":
		return "amd64"
	case m == "aarch64" || m == "arm64":
		return "arm64"
	case strings.HasPrefix(m, "armv") || m == "arm":
		return "arm"
	case m == "i386" || m == "i486" || m == "i586" || m == "i686":
		return "386"
	case m == "riscv64":
		return "riscv64"
	case m == "ppc64le":
		return "ppc64le"
	case m == "ppc64":
		return "ppc64"
	case m == "s390x":
		return "s390x"
	}
	return ""
}

// checkArch refuses to push a binary of one architecture to a host of
// another: it would fail there with "exec format error" at the first
// command, after the rollout has started.
func checkArch(host, machine, binary, binArch string) error {
	hostArch := unameArch(machine)
	if hostArch == "" {
		return fmt.Errorf("host %s: uname -m says %q, an architecture sysroll is not built for", host, strings.TrimSpace(machine))
	}
	if hostArch != binArch {
		return fmt.Errorf("host %s is %s (%s) but %s is a linux/%s binary: build sysroll for linux/%s (CGO_ENABLED=0 GOOS=linux GOARCH=%s) and give that binary instead",
			host, strings.TrimSpace(machine), hostArch, binary, binArch, hostArch, hostArch)
	}
	return nil
}
