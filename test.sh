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
fuzztime="${FUZZTIME:-10s}"
for file in $(grep -rl --include='*_test.go' '^func Fuzz' .); do
	pkg="./$(dirname "${file#./}")"
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -d' ' -f2); do
		echo "fuzz $pkg $target ($fuzztime)"
		go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime"
	done
done
