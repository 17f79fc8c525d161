package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := func(modified string) *debug.BuildInfo {
		return &debug.BuildInfo{
			Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "e58da39aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
				{Key: "vcs.time", Value: "2026-05-16T10:00:00Z"},
				{Key: "vcs.modified", Value: modified},
			},
		}
	}
	tests := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
	}{
		{
			name:    "stamped wins over the toolchain's record",
			version: "1.2.3", commit: "abc", date: "2026-01-01T00:00:00Z",
			bi:   vcs("true"),
			want: Info{Version: "1.2.3", Commit: "abc", Date: "2026-01-01T00:00:00Z"},
		},
		{
			name:    "unstamped clean tree",
			version: "dev", bi: vcs("false"),
			want: Info{Version: "dev", Commit: "e58da39aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Date: "2026-05-16T10:00:00Z"},
		},
		{
			name:    "unstamped modified tree",
			version: "dev", bi: vcs("true"),
			want: Info{Version: "dev", Commit: "e58da39aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-dirty", Date: "2026-05-16T10:00:00Z"},
		},
		{
			name:    "go install of a tagged module",
			version: "dev", bi: &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			want: Info{Version: "v1.4.0"},
		},
		{
			name:    "no build info at all",
			version: "dev",
			want:    Info{Version: "dev"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolve(tt.version, tt.commit, tt.date, tt.bi)
			tt.want.Go, tt.want.OS, tt.want.Arch = runtime.Version(), runtime.GOOS, runtime.GOARCH
			if got != tt.want {
				t.Errorf("resolve\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
