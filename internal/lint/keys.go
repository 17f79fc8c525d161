package lint

import (
	"slices"
	"strings"
)

// valueKind is how systemd parses a setting's value; it decides what an
// inline "# comment" does to it.
type valueKind int

const (
	kindUnknown valueKind = iota // not in our table: say what may happen
	kindText                     // free text: the comment becomes part of it
	kindTime                     // time span: the line fails and is ignored
	kindEnum                     // one of fixed words: the line fails and is ignored
	kindBool                     // boolean: the line fails and is ignored
	kindInt                      // number: the line fails and is ignored
	kindExec                     // command line: the comment becomes arguments
	kindUnits                    // unit names: each word becomes a dependency
	kindEnv                      // Environment=: the comment joins the value
)

// keyInfo describes the settings whose behaviour the linter explains. def is
// the value systemd uses when the setting is absent or its line is ignored.
type keyInfo struct {
	kind valueKind
	def  string
}

// knownKeys covers the settings hand-written service units use; keys are
// "Section.Key". Defaults are systemd 252's (systemd.service(5),
// systemd.unit(5), systemd-system.conf(5)).
var knownKeys = map[string]keyInfo{
	"Unit.Description":           {kindText, ""},
	"Unit.Documentation":         {kindText, ""},
	"Unit.StartLimitIntervalSec": {kindTime, "10s (DefaultStartLimitIntervalSec=)"},
	"Unit.StartLimitBurst":       {kindInt, "5 (DefaultStartLimitBurst=)"},
	"Unit.JobTimeoutSec":         {kindTime, "infinity"},
	"Unit.DefaultDependencies":   {kindBool, "yes"},
	"Unit.StopWhenUnneeded":      {kindBool, "no"},
	"Unit.RefuseManualStart":     {kindBool, "no"},
	"Unit.RefuseManualStop":      {kindBool, "no"},

	"Service.Type":            {kindEnum, "simple (oneshot without ExecStart=)"},
	"Service.Restart":         {kindEnum, "no"},
	"Service.KillMode":        {kindEnum, "control-group"},
	"Service.NotifyAccess":    {kindEnum, "none (main for Type=notify)"},
	"Service.ExitType":        {kindEnum, "main"},
	"Service.RestartSec":      {kindTime, "100ms"},
	"Service.TimeoutStartSec": {kindTime, "90s (DefaultTimeoutStartSec=)"},
	"Service.TimeoutStopSec":  {kindTime, "90s (DefaultTimeoutStopSec=)"},
	"Service.TimeoutSec":      {kindTime, "90s (DefaultTimeoutStartSec=/DefaultTimeoutStopSec=)"},
	"Service.TimeoutAbortSec": {kindTime, "TimeoutStopSec="},
	"Service.RuntimeMaxSec":   {kindTime, "infinity"},
	"Service.WatchdogSec":     {kindTime, "0 (watchdog off)"},
	"Service.RemainAfterExit": {kindBool, "no"},
	"Service.NoNewPrivileges": {kindBool, "no"},
	"Service.PrivateTmp":      {kindBool, "no"},
	"Service.DynamicUser":     {kindBool, "no"},
	"Service.SendSIGKILL":     {kindBool, "yes"},
	"Service.LimitNOFILE":     {kindInt, "the manager's default"},
	"Service.StartLimitBurst": {kindInt, "5 (DefaultStartLimitBurst=)"},
	"Service.ExecStart":       {kindExec, ""},
	"Service.ExecStartPre":    {kindExec, ""},
	"Service.ExecStartPost":   {kindExec, ""},
	"Service.ExecCondition":   {kindExec, ""},
	"Service.ExecReload":      {kindExec, ""},
	"Service.ExecStop":        {kindExec, ""},
	"Service.ExecStopPost":    {kindExec, ""},
	"Service.Environment":     {kindEnv, ""},
	"Socket.Accept":           {kindBool, "no"},
	"Socket.ReusePort":        {kindBool, "no"},
	"Timer.Persistent":        {kindBool, "no"},
	"Timer.AccuracySec":       {kindTime, "1min"},
	"Timer.RandomizedDelaySec": {
		kindTime, "0"},
}

// depKeys are the [Unit] dependency settings; their values are unit names.
var depKeys = []string{
	"Requires", "Requisite", "Wants", "BindsTo", "PartOf", "Upholds", "Conflicts",
	"Before", "After", "OnFailure", "OnSuccess", "PropagatesReloadTo",
	"ReloadPropagatedFrom", "JoinsNamespaceOf", "PropagatesStopTo", "StopPropagatedFrom",
}

// installKeys belong in [Install] only.
var installKeys = []string{"WantedBy", "RequiredBy", "Alias", "Also", "DefaultInstance"}

// unitOnlyKeys belong in [Unit] only. systemd 252 still accepts a few old
// spellings in [Service] (StartLimitInterval=, StartLimitBurst=,
// FailureAction=), so they are not listed.
var unitOnlyKeys = append([]string{
	"Description", "Documentation", "RequiresMountsFor", "OnFailureJobMode",
	"IgnoreOnIsolate", "StopWhenUnneeded", "RefuseManualStart", "RefuseManualStop",
	"AllowIsolate", "DefaultDependencies", "CollectMode", "SuccessAction",
	"JobTimeoutSec", "JobRunningTimeoutSec", "StartLimitIntervalSec",
}, depKeys...)

// serviceKeys belong in the type-specific section ([Service] for services).
var serviceKeys = []string{
	"Type", "ExecStart", "ExecStartPre", "ExecStartPost", "ExecCondition", "ExecReload",
	"ExecStop", "ExecStopPost", "Restart", "RestartSec", "TimeoutStartSec", "TimeoutStopSec",
	"TimeoutSec", "RemainAfterExit", "PIDFile", "WatchdogSec", "NotifyAccess", "BusName",
	"User", "Group", "WorkingDirectory", "Environment", "EnvironmentFile", "KillMode",
	"KillSignal", "LimitNOFILE", "RuntimeMaxSec",
}

// typeSections are the sections each unit type reads besides [Unit] and
// [Install]; keys in any other section are not checked for placement.
var typeSections = map[string]string{
	".service": "Service", ".socket": "Socket", ".timer": "Timer", ".path": "Path",
	".mount": "Mount", ".automount": "Automount", ".swap": "Swap", ".slice": "Slice",
}

func keyInfoFor(section, key string) (keyInfo, bool) {
	if slices.Contains(depKeys, key) && section == "Unit" {
		return keyInfo{kind: kindUnits}, true
	}
	if slices.Contains(installKeys, key) && section == "Install" && key != "DefaultInstance" {
		return keyInfo{kind: kindUnits}, true
	}
	ki, ok := knownKeys[section+"."+key]
	return ki, ok
}

// isConditionKey reports Condition*= and Assert*= settings ([Unit] only).
func isConditionKey(key string) bool {
	return strings.HasPrefix(key, "Condition") || strings.HasPrefix(key, "Assert")
}
