#!/usr/bin/env bash
# The whole s2sd test suite, on a fresh Debian machine: installs the real
# SFTP clients the end-to-end tests drive, then vets, tests with the race
# detector and runs every fuzzer briefly.
#
#   ./test.sh              everything
#   FUZZTIME=30s ./test.sh longer fuzzing
set -euo pipefail
cd "$(dirname "$0")"

packages=(openssh-client lftp curl putty-tools sshpass python3-paramiko sqlite3)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# systemd-analyze rates the unit file's sandboxing (daemon.TestUnitFileExposure).
command -v systemd-analyze >/dev/null || missing+=(systemd)
if ((${#missing[@]})); then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export CI="${CI:-true}" # a missing client fails the run instead of skipping

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
go test -race -count=1 ./...

# Every fuzz target, briefly. Their seed corpora also ran above as tests.
#
# Go 1.26's fuzzing coordinator can fail a target with a bare "context
# deadline exceeded" when -fuzztime ends while a worker is busy, with no
# failing input (golang/go#75804, fixed in Go 1.27). A target that fails
# that way without writing a failing input to testdata/fuzz is run once
# more; any failing input, or any other failure, fails the run.
fuzztime="${FUZZTIME:-10s}"
fuzzlog=$(mktemp)
trap 'rm -f "$fuzzlog"' EXIT
fuzz() {
	local pkg=$1 target=$2 corpus="$1/testdata/fuzz/$2" before after
	before=$(ls "$corpus" 2>/dev/null | sort || true)
	if go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" 2>&1 | tee "$fuzzlog"; then
		return 0
	fi
	after=$(ls "$corpus" 2>/dev/null | sort || true)
	[ "$before" = "$after" ] && grep -q '^    context deadline exceeded$' "$fuzzlog" && return 2
	return 1
}
for file in $(grep -rl --include='*_test.go' '^func Fuzz' .); do
	pkg="./$(dirname "${file#./}")"
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -d' ' -f2); do
		echo "fuzz $pkg $target ($fuzztime)"
		rc=0
		fuzz "$pkg" "$target" || rc=$?
		if [ "$rc" -eq 2 ]; then
			echo "fuzz $pkg $target: the coordinator's deadline race (golang/go#75804), no failing input; once more"
			rc=0
			fuzz "$pkg" "$target" || rc=$?
		fi
		[ "$rc" -eq 0 ] || exit 1
	done
done
