#!/usr/bin/env bats
# make install DESTDIR=...: the tools, their man pages and the shell
# completions, each where Debian's packages put theirs.

setup() {
	BUILD=${VCI_BUILDDIR:-$PWD}
	[ -f "$BUILD/Makefile" ] && grep -q '^dist_bashcomp_DATA' "$BUILD/Makefile" ||
		skip "not run from a configured build directory"
	D=$BATS_TEST_TMPDIR
}

@test "make install DESTDIR= installs tools, man pages and completions; uninstall removes them" {
	run make -s -C "$BUILD" install DESTDIR="$D/root" prefix=/usr
	echo "$output"
	[ "$status" -eq 0 ]
	for t in vci-defn vci-offer vci-sign-sdjwt vci-sign-mdoc vci-verify-proof vci-statuslist vci-serve; do
		[ -x "$D/root/usr/bin/$t" ] || { echo "missing bin/$t"; return 1; }
		[ -f "$D/root/usr/share/bash-completion/completions/$t" ] || { echo "missing bash $t"; return 1; }
		[ -f "$D/root/usr/share/zsh/vendor-completions/_$t" ] || { echo "missing zsh $t"; return 1; }
		[ -f "$D/root/usr/share/fish/vendor_completions.d/$t.fish" ] || { echo "missing fish $t"; return 1; }
	done
	for m in man1/vci-defn.1 man1/vci-offer.1 man1/vci-sign-sdjwt.1 man1/vci-sign-mdoc.1 \
		man1/vci-verify-proof.1 man1/vci-statuslist.1 man7/vci.7 man8/vci-serve.8; do
		[ -f "$D/root/usr/share/man/$m" ] || { echo "missing man/$m"; return 1; }
	done
	# the installed tool runs and its bash completion loads
	"$D/root/usr/bin/vci-defn" --version
	bash -c "source '$D/root/usr/share/bash-completion/completions/vci-defn' && complete -p vci-defn"
	run make -s -C "$BUILD" uninstall DESTDIR="$D/root" prefix=/usr
	[ "$status" -eq 0 ]
	[ -z "$(find "$D/root" -type f)" ]
}
